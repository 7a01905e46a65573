import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

export const GRAPHQL_PATH = "/graphql";

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
  const response = await fetch(GRAPHQL_PATH, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as {
    data?: Result | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const error = body.errors?.[0];
  if (error || !body.data) {
    throw new ApiError(error?.message ?? `HTTP ${response.status}`, error?.extensions?.code);
  }
  return body.data;
}
