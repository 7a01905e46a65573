/**
 * A guest's key to their order. `checkoutComplete` shows an order's token once; this tab
 * keeps it (sessionStorage, by order ID) so that the order page can read the order with
 * `orderByToken` and pay for it with `payOrder(..., token)`. It is gone when the tab is
 * closed, as a guest's access to the order should be.
 */
const PREFIX = "shopgraph.orderToken.";

export function rememberOrderToken(orderId: string, token: string): void {
  sessionStorage.setItem(PREFIX + orderId, token);
}

export function orderToken(orderId: string): string | null {
  return sessionStorage.getItem(PREFIX + orderId);
}

/** What the checkout tells the order page it lands on (in the history entry's state). */
export type PlacedState = {
  placed: true;
  /** Why the payment at checkout failed, when it did (the order is then PENDING). */
  payment: { code: string; message: string } | null;
};

export function placedState(state: unknown): PlacedState | null {
  return typeof state === "object" && state !== null && (state as PlacedState).placed === true
    ? (state as PlacedState)
    : null;
}

/** The order page's address. */
export function orderPath(orderId: string): string {
  return `/orders/${encodeURIComponent(orderId)}`;
}
