import type { StockLevel } from "../live/useLiveStock";

/** Few enough to say how many are left. */
const LOW_STOCK = 5;

/** "In stock", "Only 3 left" or "Sold out"; `live` announces changes to screen readers. */
export function StockBadge({ level, live = false }: { level: StockLevel; live?: boolean }) {
  const [text, tone] = !level.inStock
    ? ["Sold out", "out"]
    : level.stock <= LOW_STOCK
      ? [`Only ${level.stock} left`, "low"]
      : ["In stock", "in"];
  return (
    <span
      className={`badge badge-${tone}`}
      data-stock={level.stock}
      aria-live={live ? "polite" : undefined}
    >
      {text}
    </span>
  );
}
