import { type FragmentType, graphql, readFragment } from "../gql";
import { formatMoney } from "../lib/money";

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

/** What the cart costs: subtotal, shipping, tax, discount and total. */
export function CostSummary(props: {
  cost: FragmentType<typeof CostSummaryFragment>;
  /** Whether a shipping address is set: before it, shipping and tax are not known yet. */
  addressKnown?: boolean;
}) {
  const cost = readFragment(CostSummaryFragment, props.cost);
  const pending = props.addressKnown === false;
  const hasDiscount = Number(cost.discount.amount) !== 0;
  const later = <span className="muted">Calculated at checkout</span>;
  return (
    <dl className="cost-summary">
      <div>
        <dt>Subtotal</dt>
        <dd>{formatMoney(cost.subtotal)}</dd>
      </div>
      <div>
        <dt>Shipping</dt>
        <dd>{pending ? later : formatMoney(cost.shipping)}</dd>
      </div>
      <div>
        <dt>{cost.taxIncluded ? "Tax (included)" : "Tax"}</dt>
        <dd>{pending ? later : formatMoney(cost.tax)}</dd>
      </div>
      <div>
        <dt>Discount</dt>
        <dd>{hasDiscount ? `−${formatMoney(cost.discount)}` : formatMoney(cost.discount)}</dd>
      </div>
      <div className="cost-total">
        <dt>Total</dt>
        <dd>{formatMoney(cost.total)}</dd>
      </div>
    </dl>
  );
}
