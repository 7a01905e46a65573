import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { useCallback, useEffect } from "react";
import { type CombinedError, useQuery } from "urql";
import { useSession } from "../auth/session";
import { forgetCart, useCartId } from "../cart/cartStore";
import { isForbidden } from "../lib/errors";

type CartShape = { id: string; completed: boolean };

/**
 * The cart this browser fills, read with `query` (a `cart(id: $id)` query asking at least
 * `id` and `completed`), for the cart and checkout pages. It waits for the session (a
 * customer's cart is read with their token), and forgets a cart that cannot be filled any
 * more: checked out, expired, or someone else's.
 *
 * `cart` is null when there is none (or it is gone); `loading` is true until the first
 * answer; `error` is a failure to show (not a cart that is not ours); `refetch` reads it
 * from the server again.
 */
export function useCurrentCart<Cart extends CartShape>(
  query: TypedDocumentNode<{ cart?: Cart | null }, { id: string }>,
): { cart: Cart | null; loading: boolean; error: CombinedError | undefined; refetch: () => void } {
  const cartId = useCartId();
  const session = useSession();
  const [{ data, error, fetching, operation }, reexecute] = useQuery({
    query,
    variables: { id: cartId ?? "" },
    pause: !cartId || session.status === "starting",
  });
  const cart = cartId && data?.cart && data.cart.id === cartId ? data.cart : null;
  const answered = !!cartId && !fetching && operation?.variables.id === cartId;
  const gone = answered && !!data && (!data.cart || data.cart.completed);
  const notOurs = !!cartId && session.status !== "starting" && isForbidden(error);

  useEffect(() => {
    if (gone || notOurs) forgetCart();
  }, [gone, notOurs]);

  const refetch = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const loading = session.status === "starting" || (!!cartId && !data && !error && !gone);
  return { cart, loading, error: notOurs ? undefined : error, refetch };
}
