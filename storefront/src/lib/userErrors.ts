import { type FragmentType, graphql, readFragment } from "../gql";

/** A mutation's `userErrors` entry: what was wrong with the input, and where. */
export type UserError = { field?: readonly string[] | null; message: string; code: string };

/** The message for one input (by its last path segment), to show beside that field. */
export function errorFor(errors: readonly UserError[], field: string): string | undefined {
  return errors.find((error) => error.field?.at(-1) === field)?.message;
}

/** Messages not tied to an input the form shows, to show at the top of the form. */
export function generalErrors(errors: readonly UserError[], shown: readonly string[]): string[] {
  return errors
    .filter((error) => !error.field?.length || !shown.includes(error.field.at(-1) ?? ""))
    .map((error) => error.message);
}

/** What every mutation's `userErrors` asks for; spread it as `userErrors { ...UserErrorFields }`. */
export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    field
    message
    code
  }
`);

/** A payload's `userErrors`, read through the fragment. */
export function userErrorsOf(errors: readonly FragmentType<typeof UserErrorFields>[]): UserError[] {
  return [...readFragment(UserErrorFields, errors)];
}
