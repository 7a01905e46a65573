import type { OrderStatus } from "../gql/graphql";

/** An order's status in words, and the badge colour that goes with it. */
export const ORDER_STATUS: Record<OrderStatus, { label: string; badge: string }> = {
  PENDING: { label: "Awaiting payment", badge: "badge-low" },
  PAID: { label: "Paid", badge: "badge-in" },
  SHIPPED: { label: "Shipped", badge: "badge-in" },
  DELIVERED: { label: "Delivered", badge: "badge-in" },
  CANCELLED: { label: "Cancelled", badge: "badge-out" },
};
