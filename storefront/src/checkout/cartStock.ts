import { useEffect, useRef } from "react";
import type { LiveStock } from "../live/useLiveStock";

/** Line problems that stop a checkout and that the cart page can fix (quantity, remove). */
export const BLOCKING_LINE_PROBLEMS: ReadonlySet<string> = new Set([
  "OUT_OF_STOCK",
  "INSUFFICIENT_STOCK",
  "UNAVAILABLE",
]);

const UNSEEN = { stock: -1, inStock: false };

/** Calls `refetch` whenever the live feed reports a new stock level for one of the
 * variants, so that what the server says about the cart (problems, availability) follows. */
export function useRefetchOnStockChange(
  live: LiveStock,
  variantIds: readonly string[],
  refetch: () => void,
) {
  const levels = variantIds
    .map((id) => `${id}:${live.variant(id, UNSEEN).stock}`)
    .sort()
    .join(",");
  const seen = useRef(new Map<string, number>());
  useEffect(() => {
    let changed = false;
    for (const entry of levels.split(",")) {
      if (!entry) continue;
      const cut = entry.lastIndexOf(":");
      const id = entry.slice(0, cut);
      const stock = Number(entry.slice(cut + 1));
      if (stock === UNSEEN.stock) continue;
      if (seen.current.get(id) !== stock) changed = true;
      seen.current.set(id, stock);
    }
    if (changed) refetch();
  }, [levels, refetch]);
}
