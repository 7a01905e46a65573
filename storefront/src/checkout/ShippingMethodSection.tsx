import { type Ref, useEffect, useId, useState } from "react";
import { useMutation } from "urql";
import { type FragmentType, graphql, readFragment } from "../gql";
import { formatMoney } from "../lib/money";
import { SectionErrors } from "./ContactSection";
import { countryName } from "./countries";
import { payloadErrors } from "../lib/errors";
import type { TrackSave } from "./pendingSaves";
import { useLatestSave } from "./useLatestSave";

export const ShippingMethodSectionFragment = graphql(`
  fragment ShippingMethodSection_cart on Cart {
    id
    shippingAddress {
      country
    }
    shippingMethod {
      id
    }
    availableShippingMethods {
      id
      name
      description
      price {
        amount
        currency
      }
      freeOverSubtotal {
        amount
        currency
      }
      minDeliveryDays
      maxDeliveryDays
    }
    cost {
      subtotal {
        amount
      }
      discount {
        amount
      }
      shipping {
        amount
        currency
      }
    }
  }
`);

const ShippingMethodSectionSelect = graphql(`
  mutation ShippingMethodSectionSelect($cartId: ID!, $shippingMethodId: ID!) {
    cartSelectShippingMethod(cartId: $cartId, shippingMethodId: $shippingMethodId) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

function deliveryText(
  min: number | null | undefined,
  max: number | null | undefined,
): string | null {
  if (min == null && max == null) return null;
  const low = min ?? max!;
  const high = max ?? min!;
  if (low === high) return `Delivery in ${low} ${low === 1 ? "day" : "days"}`;
  return `Delivery in ${low}–${high} days`;
}

/** An amount in thousandths, to compare decimal strings without float surprises. */
function thousandths(amount: string): number {
  return Math.round(Number(amount) * 1000);
}

/** The methods that ship to the cart's address, as radios; picking one saves it. */
export function ShippingMethodSection(props: {
  cart: FragmentType<typeof ShippingMethodSectionFragment>;
  /** The cart's own problems with its method (e.g. it no longer ships there). */
  problems: readonly string[];
  checkoutErrors: readonly string[];
  track: TrackSave;
  onChanged: () => void;
  /** The heading, which the page focuses once an address is saved. */
  headingRef?: Ref<HTMLHeadingElement>;
}) {
  const headingRef = props.headingRef;
  const cart = readFragment(ShippingMethodSectionFragment, props.cart);
  const ids = useId();
  const [choice, setChoice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, select] = useMutation(ShippingMethodSectionSelect);
  const selectedId = cart.shippingMethod?.id ?? null;

  // Once the cart shows the method picked, it is the cart's choice again.
  useEffect(() => {
    if (choice !== null && choice === selectedId) setChoice(null);
  }, [choice, selectedId]);

  // One save at a time; the last pick wins (arrow keys move through several).
  const saveChoice = useLatestSave(async (id: string) => {
    const result = await select({ cartId: cart.id, shippingMethodId: id });
    const payload = result.data?.cartSelectShippingMethod;
    const problems = payloadErrors(payload, result.error);
    setError(problems.length > 0 ? problems.map((p) => p.message).join(" ") : null);
    return problems.length === 0;
  }, props.track);

  async function choose(id: string) {
    setChoice(id);
    setError(null);
    if (await saveChoice(id)) props.onChanged();
    else setChoice(null);
  }

  const heading = (
    <h2 id={`${ids}-heading`} ref={headingRef} tabIndex={-1}>
      Shipping method
    </h2>
  );
  const messages = [...new Set([...props.problems, ...props.checkoutErrors])];

  if (!cart.shippingAddress) {
    return (
      <section
        aria-labelledby={`${ids}-heading`}
        className="checkout-section stack"
        id="checkout-shipping"
      >
        {heading}
        <p className="muted">Save your shipping address to see how we can ship to you.</p>
        <SectionErrors messages={messages} />
      </section>
    );
  }
  const methods = cart.availableShippingMethods;
  const checked = choice ?? selectedId;
  // The server makes shipping free when the goods *after* their discount reach a method's
  // "free over" amount. The cart's own method is shown at what the cart charges for it;
  // the others are compared as the server would. The cart's discount is the goods'
  // discount, plus the shipping when a free-shipping code covers it: a discount of
  // exactly the shipping charged is taken to be that (such a code takes nothing off the
  // goods).
  const discount = thousandths(cart.cost.discount.amount);
  const shipping = thousandths(cart.cost.shipping.amount);
  const goodsDiscount = shipping > 0 && discount === shipping ? 0 : discount;
  const goods = thousandths(cart.cost.subtotal.amount) - goodsDiscount;
  return (
    <section
      aria-labelledby={`${ids}-heading`}
      className="checkout-section stack"
      id="checkout-shipping"
    >
      {heading}
      {methods.length === 0 ? (
        <p className="form-error">
          We do not ship to {countryName(cart.shippingAddress.country)}. Choose another address.
        </p>
      ) : (
        <fieldset
          className="choice-list"
          aria-describedby={messages.length || error ? `${ids}-errors` : undefined}
        >
          <legend className="visually-hidden">Shipping method</legend>
          {methods.map((method) => {
            const price = method.id === selectedId ? cart.cost.shipping : method.price;
            const free =
              method.id === selectedId
                ? Number(cart.cost.shipping.amount) === 0
                : !!method.freeOverSubtotal && goods >= thousandths(method.freeOverSubtotal.amount);
            const delivery = deliveryText(method.minDeliveryDays, method.maxDeliveryDays);
            const id = `${ids}-${method.id}`;
            return (
              <div key={method.id} className="choice shipping-choice">
                <input
                  type="radio"
                  id={id}
                  name={`${ids}-method`}
                  value={method.id}
                  checked={checked === method.id}
                  onChange={() => void choose(method.id)}
                  aria-describedby={`${id}-details`}
                />
                <label htmlFor={id}>
                  <span className="choice-name">{method.name}</span>{" "}
                  <span className="choice-price">{free ? "Free" : formatMoney(price)}</span>
                </label>
                <p className="muted choice-details" id={`${id}-details`}>
                  {[method.description, delivery].filter(Boolean).join(" · ")}
                  {method.freeOverSubtotal &&
                    !free &&
                    ` · Free over ${formatMoney(method.freeOverSubtotal)}${goodsDiscount > 0 ? " after the discount" : ""}`}
                </p>
              </div>
            );
          })}
        </fieldset>
      )}
      <div id={`${ids}-errors`}>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <SectionErrors messages={messages} />
      </div>
    </section>
  );
}
