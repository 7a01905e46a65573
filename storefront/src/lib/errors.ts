import { CombinedError } from "urql";
import { ApiError, UNREACHABLE } from "../api/http";
import type { FragmentType } from "../gql";
import { type UserError, type UserErrorFields, userErrorsOf } from "./userErrors";

const BAD_ANSWER = "The store could not answer just now. Try again in a moment.";

/**
 * A failed request as text a shopper can read: the server's own messages (without urql's
 * "[GraphQL]" prefix), or what kind of failure it was, never a raw "[Network] …".
 * Takes an urql CombinedError or whatever a plain `post()` call threw.
 */
export function requestErrorText(error: unknown): string {
  if (error instanceof CombinedError) {
    if (error.networkError) {
      // With a response the store answered, but not with GraphQL (a 5xx page, a proxy).
      return error.response ? BAD_ANSWER : UNREACHABLE;
    }
    const messages = error.graphQLErrors.map((e) => e.message).filter(Boolean);
    return messages.length ? messages.join(" ") : BAD_ANSWER;
  }
  if (error instanceof ApiError) {
    // No GraphQL error to show, only the HTTP status: a server failure.
    return error.code === undefined && /^HTTP \d+$/.test(error.message)
      ? BAD_ANSWER
      : error.message;
  }
  // fetch() rejects with a TypeError when the request never reached the store.
  if (error instanceof TypeError) return UNREACHABLE;
  // response.json() rejects with a SyntaxError when the answer is not JSON.
  if (error instanceof SyntaxError) return BAD_ANSWER;
  return error instanceof Error && error.message ? error.message : BAD_ANSWER;
}

/** A failed request as a user error, to show where a form shows its userErrors. */
export function requestProblem(error: unknown): UserError {
  const unreachable =
    (error instanceof CombinedError && !!error.networkError && !error.response) ||
    error instanceof TypeError;
  const code =
    error instanceof ApiError ? (error.code ?? "ERROR") : unreachable ? "NETWORK" : "ERROR";
  return { message: requestErrorText(error), code };
}

/** True when the server refused the request for who the caller is (FORBIDDEN). */
export function isForbidden(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === "FORBIDDEN");
}

/** The userErrors of a mutation's payload, or one made of the request's own failure. */
export function payloadErrors(
  payload: { userErrors: readonly FragmentType<typeof UserErrorFields>[] } | null | undefined,
  error: CombinedError | undefined,
): UserError[] {
  if (payload) return userErrorsOf(payload.userErrors);
  if (error) return [requestProblem(error)];
  return [{ message: "The store sent no answer; try again.", code: "ERROR" }];
}
