import { type FormEvent, useId, useRef, useState } from "react";
import { Link } from "react-router";
import { addToCart } from "../cart/cartStore";
import { requestProblem } from "../lib/errors";
import type { UserError } from "../lib/userErrors";
import type { StockLevel } from "../live/useLiveStock";
import "./product.css";

type Props = {
  /** The chosen variant; null when the chosen option values make no variant. */
  variantId: string | null;
  /** Its stock now (live). */
  level: StockLevel | null;
  /** Why nothing can be added, said beside the disabled button ("Sold out"…). */
  unavailable: string | null;
};

type Outcome = { added: true } | { added: false; errors: readonly UserError[] } | null;

/** Quantity and "Add to cart" for one variant; disabled, saying why, while it cannot be bought. */
export function AddToCartForm({ variantId, level, unavailable }: Props) {
  const id = useId();
  const [quantity, setQuantity] = useState("1");
  const [quantityError, setQuantityError] = useState<string | null>(null);
  const quantityInput = useRef<HTMLInputElement>(null);
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  // Messages are about the variant they were for: choosing another clears them.
  const [shownVariant, setShownVariant] = useState(variantId);
  if (shownVariant !== variantId) {
    setShownVariant(variantId);
    setOutcome(null);
    setQuantityError(null);
  }

  const available = level?.stock ?? 0;
  const disabled = unavailable !== null || variantId === null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (disabled || pending || variantId === null) return;
    const count = Number(quantity);
    if (!Number.isInteger(count) || count < 1) {
      setQuantityError("Enter a whole number, 1 or more.");
      quantityInput.current?.focus();
      return;
    }
    if (count > available) {
      setQuantityError(available === 1 ? "Only 1 is left." : `Only ${available} are left.`);
      quantityInput.current?.focus();
      return;
    }
    setQuantityError(null);
    setOutcome(null);
    setPending(true);
    try {
      const errors = await addToCart([{ variantId, quantity: count }]);
      setOutcome(errors.length === 0 ? { added: true } : { added: false, errors });
    } catch (error) {
      setOutcome({
        added: false,
        errors: [requestProblem(error)],
      });
    } finally {
      setPending(false);
    }
  }

  const describedBy = [quantityError ? `${id}-quantity-error` : null, `${id}-quantity-hint`]
    .filter(Boolean)
    .join(" ");
  return (
    <form className="add-to-cart stack" onSubmit={submit} noValidate aria-busy={pending}>
      <div className="field quantity-field">
        <label htmlFor={`${id}-quantity`}>Quantity</label>
        <input
          id={`${id}-quantity`}
          ref={quantityInput}
          type="number"
          inputMode="numeric"
          min={1}
          max={Math.max(available, 1)}
          step={1}
          value={quantity}
          disabled={disabled}
          onChange={(event) => setQuantity(event.target.value)}
          aria-invalid={quantityError ? true : undefined}
          aria-describedby={describedBy}
        />
        <span id={`${id}-quantity-hint`} className="muted quantity-hint">
          {disabled ? "" : `Up to ${available}`}
        </span>
        {quantityError && (
          <span id={`${id}-quantity-error`} className="field-error">
            {quantityError}
          </span>
        )}
      </div>
      <div className="row">
        <button
          type="submit"
          disabled={disabled}
          aria-describedby={disabled ? `${id}-reason` : undefined}
        >
          Add to cart
        </button>
        {pending && <span className="muted">Adding…</span>}
      </div>
      {disabled && (
        <p id={`${id}-reason`} className="unavailable-reason">
          {unavailable ?? "This combination is not available."}
        </p>
      )}
      <div role="status" className="add-to-cart-status">
        {outcome?.added && (
          <p className="notice">
            Added to cart. <Link to="/cart">View your cart</Link>
          </p>
        )}
      </div>
      <div role="alert">
        {outcome && !outcome.added && (
          <div className="form-error">
            <p>Could not add to the cart:</p>
            <ul>
              {outcome.errors.map((error, index) => (
                <li key={index}>{error.message}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </form>
  );
}
