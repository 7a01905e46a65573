import { Link } from "react-router";
import { StockBadge } from "../components/StockBadge";
import { type FragmentType, graphql, readFragment } from "../gql";
import { formatMoney } from "../lib/money";
import type { LiveStock } from "../live/useLiveStock";
import { NoImage, ProductImage } from "./ProductImage";
import "./catalog.css";

export const ProductCard_product = graphql(`
  fragment ProductCard_product on Product {
    id
    sku
    name
    stock
    inStock
    priceRange {
      min {
        amount
        currency
      }
      max {
        amount
        currency
      }
    }
    images {
      ...ProductImage_image
    }
  }
`);

/** How wide a card's picture is drawn: the grid in catalog.css has 2, 3 or 4 columns. */
const CARD_SIZES = "(min-width: 64rem) 18rem, (min-width: 40rem) 33vw, 50vw";

/** "$18.99", or "from $147.43" when the variants' prices differ. */
export function priceText(range: {
  min: { amount: string; currency: string };
  max: { amount: string; currency: string };
}): string {
  const min = formatMoney(range.min);
  return Number(range.min.amount) === Number(range.max.amount) ? min : `from ${min}`;
}

/** One product in the catalog grid: picture, name (the link), price and live stock. */
export function ProductCard({
  product,
  live,
}: {
  product: FragmentType<typeof ProductCard_product>;
  live: LiveStock;
}) {
  const fields = readFragment(ProductCard_product, product);
  const image = fields.images[0];
  const level = live.product(fields.id, { stock: fields.stock, inStock: fields.inStock });
  return (
    <article className="product-card">
      {image ? (
        <ProductImage
          image={image}
          sizes={CARD_SIZES}
          fallbackAlt={fields.name}
          className="card-image"
        />
      ) : (
        <NoImage className="card-image" />
      )}
      <h3 className="card-name">
        <Link to={`/products/${encodeURIComponent(fields.sku)}`}>{fields.name}</Link>
      </h3>
      <p className="card-price">{priceText(fields.priceRange)}</p>
      <p className="card-stock">
        <StockBadge level={level} />
      </p>
    </article>
  );
}
