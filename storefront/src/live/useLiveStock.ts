/**
 * Stock that changes on screen: a page subscribes to `stockUpdated` for what it shows and
 * reads each variant's or product's latest level through the returned object, falling back
 * to what its query loaded until a change arrives.
 *
 * Changes made while the socket was away are not replayed. After a reconnection the levels
 * seen before it are dropped and the page reads its query again (`reload`), so what it
 * shows is current again.
 */
import { useEffect, useMemo, useRef } from "react";
import { useSubscription } from "urql";
import { reconnectionCount, useReconnections } from "../api/socket";
import { graphql } from "../gql";

const StockUpdated = graphql(`
  subscription LiveStock($productIds: [ID!], $variantIds: [ID!]) {
    stockUpdated(productIds: $productIds, variantIds: $variantIds) {
      productId
      variantId
      stock
      inStock
      productStock
    }
  }
`);

export type StockLevel = { stock: number; inStock: boolean };

type Levels = {
  /** The socket's reconnection count when these were seen. */
  connection: number;
  variants: ReadonlyMap<string, StockLevel>;
  products: ReadonlyMap<string, StockLevel>;
};

const NONE: Levels = { connection: 0, variants: new Map(), products: new Map() };

export type LiveStock = {
  /** The variant's level: the latest change seen, else `loaded`. */
  variant(id: string, loaded: StockLevel): StockLevel;
  /** The product's level (the sum over its variants), likewise. */
  product(id: string, loaded: StockLevel): StockLevel;
};

/** Watches the given products (all their variants) and variants; at most 100 of each.
 * `reload` reads the page's query again after the socket reconnects. */
export function useLiveStock(
  watch: { productIds?: string[]; variantIds?: string[] },
  reload: () => void,
): LiveStock {
  const productIds = watch.productIds?.length ? [...new Set(watch.productIds)].sort() : undefined;
  const variantIds = watch.variantIds?.length ? [...new Set(watch.variantIds)].sort() : undefined;
  const [{ data }] = useSubscription(
    {
      query: StockUpdated,
      variables: { productIds, variantIds },
      pause: !productIds && !variantIds,
    },
    (seen: Levels = NONE, update): Levels => {
      const connection = reconnectionCount();
      const levels = seen.connection === connection ? seen : { ...NONE, connection };
      const change = update.stockUpdated;
      const variants = new Map(levels.variants);
      const products = new Map(levels.products);
      variants.set(change.variantId, { stock: change.stock, inStock: change.inStock });
      products.set(change.productId, {
        stock: change.productStock,
        inStock: change.productStock > 0,
      });
      return { connection, variants, products };
    },
  );
  const connection = useReconnections();
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  const readAt = useRef(connection);
  useEffect(() => {
    if (connection === readAt.current) return;
    readAt.current = connection;
    reloadRef.current();
  }, [connection]);
  return useMemo(() => {
    const levels = data?.connection === connection ? data : NONE;
    return {
      variant: (id, loaded) => levels.variants.get(id) ?? loaded,
      product: (id, loaded) => levels.products.get(id) ?? loaded,
    };
  }, [data, connection]);
}
