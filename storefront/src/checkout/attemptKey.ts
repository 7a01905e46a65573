/**
 * The idempotency key of a checkout attempt. It is made when the shopper presses "Place
 * order" and kept (per tab, per cart) until the server answers: a retry after a lost
 * answer, or after a reload, sends the same key and gets the same order back instead of
 * a second one. Once the server has answered, the next press is a new attempt.
 */
const PREFIX = "shopgraph.checkoutKey.";

export function attemptKey(cartId: string): string {
  const stored = sessionStorage.getItem(PREFIX + cartId);
  if (stored) return stored;
  const key = crypto.randomUUID();
  sessionStorage.setItem(PREFIX + cartId, key);
  return key;
}

export function endAttempt(cartId: string): void {
  sessionStorage.removeItem(PREFIX + cartId);
}
