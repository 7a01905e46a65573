import type { CombinedError } from "urql";
import type { UserError } from "../lib/userErrors";

/** A failed request as text to show: the server's messages, or that it could not be reached. */
export function requestErrorText(error: CombinedError): string {
  if (error.networkError) return "Could not reach the store. Check your connection and try again.";
  const messages = error.graphQLErrors.map((e) => e.message).filter(Boolean);
  return messages.length ? messages.join(" ") : error.message;
}

/** True when the server refused the request for who the caller is (FORBIDDEN). */
export function isForbidden(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === "FORBIDDEN");
}

/** The userErrors of a mutation's payload, or one made of the request's own failure. */
export function payloadErrors(
  payload: { userErrors: readonly UserError[] } | null | undefined,
  error: CombinedError | undefined,
): UserError[] {
  if (payload) return [...payload.userErrors];
  if (error)
    return [{ message: requestErrorText(error), code: error.networkError ? "NETWORK" : "ERROR" }];
  return [{ message: "The store sent no answer; try again.", code: "ERROR" }];
}
