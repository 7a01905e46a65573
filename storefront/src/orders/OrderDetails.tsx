import { AddressText } from "../checkout/AddressText";
import "../checkout/checkout.css";
import { type FragmentType, graphql, readFragment } from "../gql";
import { formatDateTime } from "../lib/dates";
import { formatDiscount, formatMoney } from "../lib/money";
import { ORDER_STATUS } from "./orderStatus";
import "./orders.css";

export const OrderDetailsFragment = graphql(`
  fragment OrderDetails_order on Order {
    status
    email
    createdAt
    items {
      sku
      name
      variantTitle
      quantity
      unitPrice {
        amount
        currency
      }
      lineTotal {
        amount
        currency
      }
    }
    shippingAddress {
      ...AddressText_address
    }
    shippingMethod {
      name
      price {
        amount
        currency
      }
    }
    discounts {
      code
      amount {
        amount
        currency
      }
    }
    subtotal {
      amount
      currency
    }
    shippingTotal {
      amount
      currency
    }
    taxTotal {
      amount
      currency
    }
    discountTotal {
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

/** Everything an order says: status, lines, where it goes and how, and what it costs. */
export function OrderDetails(props: { order: FragmentType<typeof OrderDetailsFragment> }) {
  const order = readFragment(OrderDetailsFragment, props.order);
  const discountCodes = order.discounts.map((discount) => discount.code).join(", ");
  const status = ORDER_STATUS[order.status];
  return (
    <div className="order-details stack">
      <dl className="order-facts">
        <div>
          <dt>Status</dt>
          <dd>
            <span className={`badge ${status.badge}`} data-status={order.status}>
              {status.label}
            </span>
          </dd>
        </div>
        <div>
          <dt>Placed</dt>
          <dd>{formatDateTime(order.createdAt)}</dd>
        </div>
        {order.email && (
          <div>
            <dt>Email</dt>
            <dd>{order.email}</dd>
          </div>
        )}
      </dl>

      <section aria-labelledby="order-items-heading" className="stack">
        <h2 id="order-items-heading">Items</h2>
        <div className="table-scroll">
          <table className="order-items">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col" className="amount">
                  Quantity
                </th>
                <th scope="col" className="amount">
                  Unit price
                </th>
                <th scope="col" className="amount">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {order.items.map((item, index) => (
                <tr key={`${item.sku}-${index}`}>
                  <td>
                    {item.name}
                    {item.variantTitle && (
                      <span className="muted order-variant">{item.variantTitle}</span>
                    )}
                  </td>
                  <td className="amount">{item.quantity}</td>
                  <td className="amount">{formatMoney(item.unitPrice)}</td>
                  <td className="amount">{formatMoney(item.lineTotal)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="order-columns">
        {(order.shippingAddress || order.shippingMethod) && (
          <section aria-labelledby="order-shipping-heading" className="stack">
            <h2 id="order-shipping-heading">Shipping</h2>
            {order.shippingAddress && <AddressText address={order.shippingAddress} />}
            {order.shippingMethod && (
              <p>
                {order.shippingMethod.name} · {formatMoney(order.shippingMethod.price)}
              </p>
            )}
          </section>
        )}
        <section aria-labelledby="order-totals-heading" className="stack">
          <h2 id="order-totals-heading">Totals</h2>
          <dl className="cost-summary">
            <div>
              <dt>Subtotal</dt>
              <dd>{formatMoney(order.subtotal)}</dd>
            </div>
            <div>
              <dt>Shipping</dt>
              <dd>{formatMoney(order.shippingTotal)}</dd>
            </div>
            <div>
              <dt>{order.taxIncluded ? "Tax (included)" : "Tax"}</dt>
              <dd>{formatMoney(order.taxTotal)}</dd>
            </div>
            <div>
              <dt>{discountCodes ? `Discount (${discountCodes})` : "Discount"}</dt>
              <dd>{formatDiscount(order.discountTotal)}</dd>
            </div>
            <div className="cost-total">
              <dt>Total</dt>
              <dd>{formatMoney(order.total)}</dd>
            </div>
          </dl>
        </section>
      </div>
    </div>
  );
}
