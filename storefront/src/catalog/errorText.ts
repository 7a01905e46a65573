import type { CombinedError } from "urql";

/** What went wrong, as the server said it (without urql's "[GraphQL]"/"[Network]" prefix). */
export function errorText(error: CombinedError): string {
  if (error.graphQLErrors.length > 0) return error.graphQLErrors.map((e) => e.message).join(" ");
  if (error.networkError) return `The store could not be reached (${error.networkError.message}).`;
  return error.message;
}
