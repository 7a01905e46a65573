import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";
import { useMutation } from "urql";
import { StockBadge } from "../components/StockBadge";
import { type FragmentType, graphql, readFragment } from "../gql";
import type { StockLevel } from "../live/useLiveStock";
import { formatMoney } from "../lib/money";
import { payloadErrors } from "../lib/errors";
import { useLatestSave } from "./useLatestSave";
import { lineName, shownVariantTitle } from "./variantTitle";

export const CartLineRowFragment = graphql(`
  fragment CartLineRow_line on CartLine {
    id
    quantity
    available
    unitPrice {
      amount
      currency
    }
    lineTotal {
      amount
      currency
    }
    product {
      sku
      name
      images {
        url(width: 128)
        altText
      }
    }
    variant {
      title
      selectedOptions {
        name
      }
      image {
        url(width: 128)
        altText
      }
    }
  }
`);

const CartLineRowUpdate = graphql(`
  mutation CartLineRowUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {
    cartLinesUpdate(cartId: $cartId, lines: $lines) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const CartLineRowRemove = graphql(`
  mutation CartLineRowRemove($cartId: ID!, $lineIds: [ID!]!) {
    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

/** How long typing in a quantity waits before the cart is changed. */
const QUANTITY_DELAY_MS = 600;
/** Badges for stock only when it matters: few left, or none. */
const SHOW_STOCK_BELOW = 6;

export type LineProblem = { code: string; message: string };

/** One line of the cart: picture, name, variant, price, quantity, total, and what is wrong. */
export function CartLineRow(props: {
  cartId: string;
  line: FragmentType<typeof CartLineRowFragment>;
  problems: readonly LineProblem[];
  /** The variant's stock as the live feed last said, or as loaded. */
  stock: StockLevel | null;
  announce: (message: string) => void;
  onRemoved: () => void;
}) {
  const line = readFragment(CartLineRowFragment, props.line);
  const { cartId, announce } = props;
  const name = line.product?.name ?? "An item no longer sold";
  const title = shownVariantTitle(line.variant);
  const fullName = lineName(name, title);
  const image = line.variant?.image ?? line.product?.images[0] ?? null;
  const ids = useId();
  const nameId = `${ids}-name`;
  const errorId = `${ids}-error`;
  const problemsId = `${ids}-problems`;

  const [draft, setDraft] = useState(String(line.quantity));
  const [error, setError] = useState<string | null>(null);
  const [, updateLines] = useMutation(CartLineRowUpdate);
  const [removing, removeLines] = useMutation(CartLineRowRemove);
  const input = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const sent = useRef<number>(line.quantity);
  const lineQuantity = useRef(line.quantity);
  lineQuantity.current = line.quantity;

  // The cart changed on the server (or another tab): show its quantity unless being typed.
  useEffect(() => {
    sent.current = line.quantity;
    if (document.activeElement !== input.current) setDraft(String(line.quantity));
  }, [line.quantity]);

  useEffect(() => () => clearTimeout(timer.current), []);

  // One change at a time, the last quantity typed winning, so that they land in order.
  const saveQuantity = useLatestSave(async (quantity: number) => {
    const result = await updateLines({ cartId, lines: [{ id: line.id, quantity }] });
    const payload = result.data?.cartLinesUpdate;
    const errors = payloadErrors(payload, result.error);
    if (errors.length > 0) {
      setError(errors.map((e) => e.message).join(" "));
      return false;
    }
    setError(null);
    announce(
      quantity === 0 ? `Removed ${fullName} from your cart.` : `${fullName}: quantity ${quantity}.`,
    );
    if (quantity === 0) props.onRemoved();
    return true;
  });

  async function commit(value: string) {
    clearTimeout(timer.current);
    const quantity = Number(value);
    if (value.trim() === "" || !Number.isInteger(quantity) || quantity < 0) {
      setError("Enter a whole number of items, or use Remove.");
      return;
    }
    if (quantity === sent.current) {
      setError(null);
      return;
    }
    sent.current = quantity;
    // A refused quantity is not the cart's: the cart's own is the one to compare with.
    if (!(await saveQuantity(quantity))) sent.current = lineQuantity.current;
  }

  function change(value: string) {
    setDraft(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void commit(value), QUANTITY_DELAY_MS);
  }

  async function remove() {
    const result = await removeLines({ cartId, lineIds: [line.id] });
    const payload = result.data?.cartLinesRemove;
    const errors = payloadErrors(payload, result.error);
    if (errors.length > 0) {
      setError(errors.map((e) => e.message).join(" "));
      return;
    }
    announce(`Removed ${fullName} from your cart.`);
    props.onRemoved();
  }

  const stock = props.stock;
  const describedBy = [error ? errorId : null, props.problems.length ? problemsId : null]
    .filter(Boolean)
    .join(" ");

  return (
    <li className={`cart-line${line.available ? "" : " cart-line-blocked"}`}>
      <div className="cart-line-image">
        {image ? (
          <img src={image.url} alt={image.altText || name} width={64} height={48} loading="lazy" />
        ) : (
          <span className="cart-line-noimage" aria-hidden="true" />
        )}
      </div>
      <div className="cart-line-info">
        <p className="cart-line-name" id={nameId}>
          {line.product ? (
            <Link to={`/products/${encodeURIComponent(line.product.sku)}`}>{name}</Link>
          ) : (
            name
          )}
        </p>
        {title && (
          <p className="muted cart-line-variant" id={`${ids}-variant`}>
            {title}
          </p>
        )}
        <p className="cart-line-price">
          {formatMoney(line.unitPrice)} <span className="muted">each</span>
        </p>
        {/* Always in the page, so that a badge appearing in it is announced too. */}
        <div className="cart-line-stock" aria-live="polite" aria-atomic="true">
          {stock && stock.stock < SHOW_STOCK_BELOW && (
            <>
              <span className="visually-hidden">{fullName}: </span>
              <StockBadge level={stock} />
            </>
          )}
        </div>
        <ul className="line-problems" id={problemsId} aria-live="polite">
          {props.problems.map((problem) => (
            <li key={problem.code} data-code={problem.code}>
              {problem.message}
            </li>
          ))}
        </ul>
      </div>
      <div className="cart-line-quantity field">
        <label htmlFor={`${ids}-quantity`}>
          Quantity<span className="visually-hidden"> for {fullName}</span>
        </label>
        <input
          ref={input}
          id={`${ids}-quantity`}
          type="number"
          inputMode="numeric"
          min={1}
          max={100}
          value={draft}
          onChange={(event) => change(event.target.value)}
          onBlur={(event) => void commit(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") void commit(event.currentTarget.value);
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy || undefined}
        />
        <button
          type="button"
          className="link-button"
          onClick={() => void remove()}
          disabled={removing.fetching}
          aria-describedby={title ? `${nameId} ${ids}-variant` : nameId}
        >
          Remove
        </button>
      </div>
      <p className="cart-line-total">
        <span className="visually-hidden">Line total: </span>
        {formatMoney(line.lineTotal)}
      </p>
      {error && (
        <p className="field-error cart-line-error" id={errorId}>
          {error}
        </p>
      )}
    </li>
  );
}
