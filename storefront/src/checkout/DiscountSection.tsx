import { useId, useState } from "react";
import { useMutation } from "urql";
import { type FragmentType, graphql, readFragment } from "../gql";
import { SectionErrors } from "./ContactSection";
import { payloadErrors } from "../lib/errors";
import type { TrackSave } from "./pendingSaves";
import { useLatestSave } from "./useLatestSave";

export const DiscountSectionFragment = graphql(`
  fragment DiscountSection_cart on Cart {
    id
    discountCodes
  }
`);

const DiscountSectionApply = graphql(`
  mutation DiscountSectionApply($cartId: ID!, $code: String!) {
    cartApplyDiscountCode(cartId: $cartId, code: $code) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const DiscountSectionRemove = graphql(`
  mutation DiscountSectionRemove($cartId: ID!) {
    cartRemoveDiscountCode(cartId: $cartId) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

/** A discount code: type it and "Apply"; an applied code is listed with "Remove". */
export function DiscountSection(props: {
  cart: FragmentType<typeof DiscountSectionFragment>;
  /** The cart's problems with its code (e.g. it needs a larger subtotal). */
  problems: readonly string[];
  checkoutErrors: readonly string[];
  track: TrackSave;
  onChanged: () => void;
}) {
  const cart = readFragment(DiscountSectionFragment, props.cart);
  const ids = useId();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [, apply] = useMutation(DiscountSectionApply);
  const [, remove] = useMutation(DiscountSectionRemove);

  // A code to apply, or null to remove the cart's code: one request at a time, and the
  // last press wins (a code replaces the one before, so skipping between them is safe).
  const saveCode = useLatestSave(async (wanted: string | null) => {
    const applied = cart.discountCodes[0] ?? "";
    const result =
      wanted === null
        ? await remove({ cartId: cart.id })
        : await apply({ cartId: cart.id, code: wanted });
    const payload =
      result.data && "cartRemoveDiscountCode" in result.data
        ? result.data.cartRemoveDiscountCode
        : result.data?.cartApplyDiscountCode;
    const problems = payloadErrors(payload, result.error);
    if (problems.length > 0) {
      setError(problems.map((p) => p.message).join(" "));
      return false;
    }
    setError(null);
    if (wanted === null) {
      setStatus(`Discount ${applied} removed.`);
    } else {
      setCode((typed) => (typed.trim().toUpperCase() === wanted.toUpperCase() ? "" : typed));
      setStatus(`Discount ${wanted.toUpperCase()} added.`);
    }
    return true;
  }, props.track);

  async function submit() {
    const value = code.trim();
    if (!value) {
      setError("Enter a discount code.");
      return;
    }
    setStatus("");
    if (await saveCode(value)) props.onChanged();
  }

  async function removeCode() {
    setStatus("");
    if (!(await saveCode(null))) return;
    props.onChanged();
    setTimeout(() => document.getElementById(`${ids}-code`)?.focus(), 0);
  }

  const messages = [...new Set([...props.problems, ...props.checkoutErrors])];
  return (
    <section
      aria-labelledby={`${ids}-heading`}
      className="checkout-section stack"
      id="checkout-discount"
    >
      <h2 id={`${ids}-heading`}>Discount</h2>
      {cart.discountCodes.length > 0 && (
        <ul className="applied-codes">
          {cart.discountCodes.map((applied) => (
            <li key={applied} className="row">
              <span id={`${ids}-applied-${applied}`}>
                Code <strong>{applied}</strong> applied
              </span>
              <button
                type="button"
                className="link-button"
                onClick={() => void removeCode()}
                aria-describedby={`${ids}-applied-${applied}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <SectionErrors messages={messages} />
      <form
        className="discount-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="field">
          <label htmlFor={`${ids}-code`}>Discount code</label>
          <input
            id={`${ids}-code`}
            value={code}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            onChange={(event) => setCode(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${ids}-error` : undefined}
          />
        </div>
        <button type="submit" className="secondary">
          Apply
        </button>
      </form>
      {error && (
        <p className="field-error" id={`${ids}-error`} role="alert">
          {error}
        </p>
      )}
      <p className="visually-hidden" role="status">
        {status}
      </p>
    </section>
  );
}
