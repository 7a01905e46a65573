import { Link } from "react-router";
import { type FragmentType, graphql, readFragment } from "../gql";
import { formatMoney } from "../lib/money";
import { SectionErrors } from "./ContactSection";
import { CostSummary } from "./CostSummary";
import { shownVariantTitle } from "./variantTitle";

export const OrderSummaryFragment = graphql(`
  fragment OrderSummary_cart on Cart {
    id
    shippingAddress {
      country
    }
    shippingMethod {
      id
    }
    lines {
      id
      quantity
      lineTotal {
        amount
        currency
      }
      product {
        name
      }
      variant {
        title
        selectedOptions {
          name
        }
      }
    }
    cost {
      ...CostSummary_cost
    }
  }
`);

/** The lines and what they cost, updated after each step of the checkout. */
export function OrderSummary(props: {
  cart: FragmentType<typeof OrderSummaryFragment>;
  /** Problems by line ID, and the last "Place order" answer about the lines. */
  lineProblems: ReadonlyMap<string, readonly string[]>;
  checkoutErrors: readonly string[];
}) {
  const cart = readFragment(OrderSummaryFragment, props.cart);
  return (
    <section
      aria-labelledby="checkout-summary-heading"
      className="checkout-section panel stack"
      id="checkout-summary"
    >
      <h2 id="checkout-summary-heading">Order summary</h2>
      <ul className="summary-lines">
        {cart.lines.map((line) => {
          const title = shownVariantTitle(line.variant);
          const problems = props.lineProblems.get(line.id) ?? [];
          return (
            <li key={line.id}>
              <div className="summary-line">
                <span>
                  {line.product?.name ?? "An item no longer sold"}
                  {title && <span className="muted"> · {title}</span>}
                  <span className="muted"> × {line.quantity}</span>
                </span>
                <span className="amount">{formatMoney(line.lineTotal)}</span>
              </div>
              {problems.length > 0 && (
                <ul className="line-problems">
                  {problems.map((message, index) => (
                    <li key={index}>{message}</li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      <p>
        <Link to="/cart">Edit cart</Link>
      </p>
      <SectionErrors messages={props.checkoutErrors} />
      <CostSummary
        cost={cart.cost}
        addressKnown={!!cart.shippingAddress}
        methodChosen={!!cart.shippingMethod}
      />
    </section>
  );
}
