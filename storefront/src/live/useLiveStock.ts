/**
 * Stock that changes on screen: a page subscribes to `stockUpdated` for what it shows and
 * reads each variant's or product's latest level through the returned object, falling back
 * to what its query loaded until a change arrives.
 */
import { useMemo } from "react";
import { useSubscription } from "urql";
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
  variants: ReadonlyMap<string, StockLevel>;
  products: ReadonlyMap<string, StockLevel>;
};

const NONE: Levels = { variants: new Map(), products: new Map() };

export type LiveStock = {
  /** The variant's level: the latest change seen, else `loaded`. */
  variant(id: string, loaded: StockLevel): StockLevel;
  /** The product's level (the sum over its variants), likewise. */
  product(id: string, loaded: StockLevel): StockLevel;
};

/** Watches the given products (all their variants) and variants; at most 100 of each. */
export function useLiveStock(watch: { productIds?: string[]; variantIds?: string[] }): LiveStock {
  const productIds = watch.productIds?.length ? [...new Set(watch.productIds)].sort() : undefined;
  const variantIds = watch.variantIds?.length ? [...new Set(watch.variantIds)].sort() : undefined;
  const [{ data }] = useSubscription(
    {
      query: StockUpdated,
      variables: { productIds, variantIds },
      pause: !productIds && !variantIds,
    },
    (levels: Levels = NONE, update): Levels => {
      const change = update.stockUpdated;
      const variants = new Map(levels.variants);
      const products = new Map(levels.products);
      variants.set(change.variantId, { stock: change.stock, inStock: change.inStock });
      products.set(change.productId, {
        stock: change.productStock,
        inStock: change.productStock > 0,
      });
      return { variants, products };
    },
  );
  return useMemo(() => {
    const levels = data ?? NONE;
    return {
      variant: (id, loaded) => levels.variants.get(id) ?? loaded,
      product: (id, loaded) => levels.products.get(id) ?? loaded,
    };
  }, [data]);
}
