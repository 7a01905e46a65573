import { type FragmentType, graphql, readFragment } from "../gql";
import { formatDiscount, formatMoney } from "../lib/money";

export const CostSummaryFragment = graphql(`
  fragment CostSummary_cost on CartCost {
    subtotal {
      amount
      currency
    }
    shipping {
      amount
      currency
    }
    tax {
      amount
      currency
    }
    discount {
      amount
      currency
    }
    total {
      amount
      currency
    }
    taxIncluded
  }
`);

/** What the cart costs: subtotal, shipping, tax, discount and total. Until the address
 * and the shipping method are known the total is not final, and says so. */
export function CostSummary(props: {
  cost: FragmentType<typeof CostSummaryFragment>;
  /** Whether a shipping address is set: before it, shipping and tax are not known yet. */
  addressKnown?: boolean;
  /** Whether a shipping method is chosen: before it, shipping is not known yet. */
  methodChosen?: boolean;
}) {
  const cost = readFragment(CostSummaryFragment, props.cost);
  const noAddress = props.addressKnown === false;
  const noMethod = !noAddress && props.methodChosen === false;
  const later = <span className="muted">Calculated at checkout</span>;
  return (
    <dl className="cost-summary">
      <div>
        <dt>Subtotal</dt>
        <dd>{formatMoney(cost.subtotal)}</dd>
      </div>
      <div>
        <dt>Shipping</dt>
        <dd>
          {noAddress ? (
            later
          ) : noMethod ? (
            <span className="muted">Choose a shipping method</span>
          ) : (
            formatMoney(cost.shipping)
          )}
        </dd>
      </div>
      <div>
        <dt>{cost.taxIncluded ? "Tax (included)" : "Tax"}</dt>
        <dd>{noAddress ? later : formatMoney(cost.tax)}</dd>
      </div>
      <div>
        <dt>Discount</dt>
        <dd>{formatDiscount(cost.discount)}</dd>
      </div>
      <div className="cost-total">
        <dt>{noAddress || noMethod ? "Total so far" : "Total"}</dt>
        <dd>{formatMoney(cost.total)}</dd>
      </div>
    </dl>
  );
}
