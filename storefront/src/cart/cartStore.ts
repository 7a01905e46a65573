/**
 * Which cart this browser is filling. The cart itself lives on the server; the browser
 * keeps only its ID (unguessable, so it is the guest's key to it) in localStorage, so it
 * survives reloads and is shared by tabs. After sign-in the guest cart is handed to the
 * customer (`cartAssignToMe`, merged into the cart they already had); after sign-out the
 * browser forgets the customer's cart, which a guest could not open anyway.
 */
import { useSyncExternalStore } from "react";
import { storeClient } from "../api/client";
import { currentSession, onIdentityChange, onSignIn } from "../auth/session";
import { graphql } from "../gql";
import { isForbidden, payloadErrors } from "../lib/errors";
import type { UserError } from "../lib/userErrors";

const CART_KEY = "shopgraph.cartId";

const CartCreate = graphql(`
  mutation CartCreate($lines: [CartLineInput!]!) {
    cartCreate(input: { lines: $lines }) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const CartLinesAdd = graphql(`
  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {
    cartLinesAdd(cartId: $cartId, lines: $lines) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const CartAssignToMe = graphql(`
  mutation CartAssignToMe($cartId: ID!) {
    cartAssignToMe(cartId: $cartId) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const MyCart = graphql(`
  query MyCart {
    me {
      id
      cart {
        id
      }
    }
  }
`);

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentCartId(): string | null {
  return localStorage.getItem(CART_KEY);
}

/** The ID of the cart being filled, or null before the first "add to cart". */
export function useCartId(): string | null {
  return useSyncExternalStore(subscribe, currentCartId);
}

export function setCartId(id: string | null): void {
  if (id === currentCartId()) return;
  if (id) localStorage.setItem(CART_KEY, id);
  else localStorage.removeItem(CART_KEY);
  listeners.forEach((listener) => listener());
}

window.addEventListener("storage", (event) => {
  if (event.key === CART_KEY) listeners.forEach((listener) => listener());
});

export type LineToAdd = { variantId: string; quantity: number };

const CART_LOCK = "shopgraph.cart";
let adding: Promise<unknown> = Promise.resolve();

/** Adds lines to the cart, starting one when there is none (or the last was checked out).
 * One addition at a time, across tabs too: two quick ones would otherwise each start a
 * cart, and the item in the cart the browser forgets would vanish. */
export function addToCart(lines: LineToAdd[]): Promise<UserError[]> {
  const added = adding.then(async (): Promise<UserError[]> => {
    if (!("locks" in navigator)) return addNow(lines);
    return navigator.locks.request(CART_LOCK, () => addNow(lines));
  });
  adding = added.catch(() => undefined);
  return added;
}

async function addNow(lines: LineToAdd[]): Promise<UserError[]> {
  const cartId = currentCartId();
  if (cartId) {
    const { data, error } = await storeClient()
      .mutation(CartLinesAdd, { cartId, lines })
      .toPromise();
    const errors = payloadErrors(data?.cartLinesAdd, error);
    const gone = errors.some((e) => e.code === "CART_COMPLETED" || e.code === "NOT_FOUND");
    // A cart checked out, expired or another shopper's is left for a new one.
    if (!gone && !isForbidden(error)) return errors;
  }
  const { data, error } = await storeClient().mutation(CartCreate, { lines }).toPromise();
  if (data?.cartCreate.cart) setCartId(data.cartCreate.cart.id);
  return payloadErrors(data?.cartCreate, error);
}

/** Forgets a cart that can no longer be filled (checked out, expired or not ours). */
export function forgetCart(): void {
  setCartId(null);
}

// On sign-in (not on a reload that restores the session) the guest cart becomes the
// customer's, merged into the cart they had; with no guest cart, theirs is used.
onSignIn(async () => {
  const guestCart = currentCartId();
  if (guestCart) {
    const result = await storeClient().mutation(CartAssignToMe, { cartId: guestCart }).toPromise();
    const cart = result.data?.cartAssignToMe.cart;
    if (cart) return setCartId(cart.id);
  }
  const mine = await storeClient().query(MyCart, {}, { requestPolicy: "network-only" }).toPromise();
  setCartId(mine.data?.me?.cart?.id ?? null);
});

onIdentityChange(() => {
  // Signed out (here or in another tab): the customer's cart is not the guest's.
  if (currentSession().status === "anonymous") setCartId(null);
});
