import { useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { AddToCartForm } from "../catalog/AddToCartForm";
import { requestErrorText } from "../lib/errors";
import { ProductGallery } from "../catalog/ProductGallery";
import { priceText } from "../catalog/ProductCard";
import {
  type Selection,
  VariantPicker,
  findVariant,
  readPicker,
  selectionOf,
} from "../catalog/VariantPicker";
import { StockBadge } from "../components/StockBadge";
import { graphql } from "../gql";
import type { ProductPageProductQuery } from "../gql/graphql";
import { formatMoney } from "../lib/money";
import { usePageTitle } from "../lib/usePageTitle";
import { type StockLevel, useLiveStock } from "../live/useLiveStock";
import "../catalog/product.css";

const ProductPageProduct = graphql(`
  query ProductPageProduct($sku: String!) {
    product(sku: $sku) {
      id
      name
      description
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
      options {
        name
      }
      images {
        id
        ...ProductGallery_image
      }
      variants {
        id
        title
        price {
          amount
          currency
        }
        stock
        inStock
        image {
          id
        }
      }
      ...VariantPicker_product
    }
  }
`);

type Product = NonNullable<ProductPageProductQuery["product"]>;

/** One product: pictures, description, the option pickers and "Add to cart", by SKU. */
export function ProductPage() {
  const { sku = "" } = useParams();
  const [result, reexecute] = useQuery({
    query: ProductPageProduct,
    variables: { sku },
    // The stock on a cached page may be old: show it at once, then the server's.
    requestPolicy: "cache-and-network",
  });
  const product = result.data?.product;
  usePageTitle(product ? product.name : result.data ? "Product not found" : undefined);

  if (product) {
    const reload = () => reexecute({ requestPolicy: "network-only" });
    return <ProductView key={product.id} product={product} reload={reload} />;
  }
  if (result.data) {
    return (
      <section className="page">
        <h1>Product not found</h1>
        <p>
          There is no product with the SKU “{sku}” in the shop: it may have been taken off sale.{" "}
          <Link to="/">Back to the shop</Link>
        </p>
      </section>
    );
  }
  if (result.error) {
    return (
      <section className="page">
        <div role="alert" className="form-error">
          <p>The product could not be loaded: {requestErrorText(result.error)}</p>
        </div>
        <p>
          <Link to="/">Back to the shop</Link>
        </p>
      </section>
    );
  }
  return (
    <section className="page" aria-busy="true">
      <p role="status">Loading…</p>
    </section>
  );
}

function ProductView({ product, reload }: { product: Product; reload: () => void }) {
  const picker = readPicker(product);
  const live = useLiveStock({ variantIds: product.variants.map((variant) => variant.id) }, reload);
  const levelOf = (variantId: string): StockLevel | null => {
    const variant = product.variants.find((candidate) => candidate.id === variantId);
    return variant
      ? live.variant(variant.id, { stock: variant.stock, inStock: variant.inStock })
      : null;
  };

  // Start on the first variant in stock (else the first); the pickers change it.
  const [selection, setSelection] = useState<Selection>(() => {
    const first = product.variants.find((variant) => variant.inStock) ?? product.variants[0];
    return selectionOf(picker, first.id);
  });
  const variantId = findVariant(picker, selection);
  const variant = product.variants.find((candidate) => candidate.id === variantId) ?? null;
  const level = variant ? levelOf(variant.id) : null;

  const hasOptions = product.options.length > 0;
  const choose = product.options.map((option) => option.name.toLowerCase()).join(" or ");
  const unavailable = !variant
    ? "This combination is not available. Choose another " + choose + "."
    : level && !level.inStock
      ? hasOptions
        ? `${variant.title} is sold out. Choose another ${choose}.`
        : "This product is sold out."
      : null;

  return (
    <article className="product-page">
      <p className="product-back">
        <Link to="/">All products</Link>
      </p>
      <div className="product-layout">
        <ProductGallery
          images={product.images}
          productName={product.name}
          preferredImageId={variant?.image?.id ?? null}
          variantKey={variant?.id ?? ""}
        />
        <div className="product-info stack">
          <h1>{product.name}</h1>
          <p className="product-price">
            {variant ? formatMoney(variant.price) : priceText(product.priceRange)}
            {hasOptions && variant && (
              <span className="muted variant-title"> · {variant.title}</span>
            )}
          </p>
          <p className="product-stock">{level ? <StockBadge level={level} live /> : null}</p>
          <VariantPicker
            product={picker}
            selection={selection}
            onSelect={setSelection}
            soldOut={(id) => !(levelOf(id)?.inStock ?? false)}
          />
          <AddToCartForm variantId={variant?.id ?? null} level={level} unavailable={unavailable} />
          {product.description && (
            <section className="product-description">
              <h2>Description</h2>
              <p>{product.description}</p>
            </section>
          )}
        </div>
      </div>
    </article>
  );
}
