/** The rule the server enforces for a new password (shopgraph/auth/account_rules.py,
 * MIN_PASSWORD_LENGTH and MAX_PASSWORD_LENGTH in shopgraph/auth/passwords.py). Shown as a
 * hint only: the server decides, and its message is shown when it refuses. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
export const PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters (at most ${MAX_PASSWORD_LENGTH}), and not your email address.`;
