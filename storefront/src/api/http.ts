import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { stringifyDocument } from "urql";

export const GRAPHQL_PATH = "/graphql";
/** A call that has not been answered by then is given up (and tried again by its caller). */
const TIMEOUT_MS = 15_000;
export const UNREACHABLE = "Could not reach the store. Check your connection and try again.";

/** A GraphQL error the server sent, with its `extensions.code` when it had one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** One operation over plain `fetch`, for the few calls that must not wait on the client
 * (the session's own token calls, which the client's auth step itself waits on). */
export async function post<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  let body: {
    data?: Result | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  try {
    const response = await fetch(GRAPHQL_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: stringifyDocument(document), variables }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    body = await response.json();
  } catch {
    // No answer, a timeout, or one that is not GraphQL (a proxy's error page).
    throw new ApiError(UNREACHABLE, undefined);
  }
  const error = body.errors?.[0];
  if (error || !body.data)
    throw new ApiError(error?.message ?? UNREACHABLE, error?.extensions?.code);
  return body.data;
}
