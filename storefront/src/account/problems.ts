import { ApiError } from "../api/http";
import type { UserError } from "../lib/userErrors";

/** What went wrong with a call that threw (network down, server error), as a user error. */
export function thrownProblem(error: unknown): UserError {
  if (error instanceof ApiError) return { message: error.message, code: error.code ?? "ERROR" };
  if (error instanceof TypeError) {
    return {
      message: "Could not reach the store. Check your connection and try again.",
      code: "NETWORK",
    };
  }
  return { message: error instanceof Error ? error.message : String(error), code: "ERROR" };
}
