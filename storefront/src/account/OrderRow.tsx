import { Link } from "react-router";
import { type FragmentType, graphql, readFragment } from "../gql";
import { formatDay } from "../lib/dates";
import { formatMoney } from "../lib/money";
import { orderPath } from "../orders/orderAccess";
import { ORDER_STATUS } from "../orders/orderStatus";

export const OrderRowFields = graphql(`
  fragment OrderRowFields on Order {
    id
    number
    createdAt
    status
    total {
      amount
      currency
    }
    items {
      quantity
    }
  }
`);

/** One order in the order history: its number (a link to it), date, status, size, total. */
export function OrderRow(props: { order: FragmentType<typeof OrderRowFields> }) {
  const order = readFragment(OrderRowFields, props.order);
  const status = ORDER_STATUS[order.status];
  const itemCount = order.items.reduce((sum, item) => sum + item.quantity, 0);
  return (
    <tr className="order-row" data-order-id={order.id}>
      <th scope="row" className="order-number">
        <Link to={orderPath(order.id)}>
          <span className="visually-hidden">Order </span>
          {order.number}
        </Link>
      </th>
      <td className="order-date">
        <time dateTime={order.createdAt}>{formatDay(order.createdAt)}</time>
      </td>
      <td className="order-status">
        <span className={`badge ${status.badge}`}>{status.label}</span>
      </td>
      <td className="order-items">
        {itemCount} {itemCount === 1 ? "item" : "items"}
      </td>
      <td className="amount order-total">{formatMoney(order.total)}</td>
    </tr>
  );
}
