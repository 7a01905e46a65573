import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { useQuery } from "urql";
import { useSession } from "../auth/session";
import { isForbidden, requestErrorText } from "../lib/errors";
import { graphql, readFragment } from "../gql";
import { usePageTitle } from "../lib/usePageTitle";
import { orderToken, placedState } from "../orders/orderAccess";
import { formatDateTime } from "../lib/dates";
import { OrderDetails } from "../orders/OrderDetails";
import { type PaymentOutcome, PayOrderForm } from "../orders/PayOrderForm";
import "../orders/orders.css";

const OrderPageFields = graphql(`
  fragment OrderPage_order on Order {
    id
    number
    status
    email
    holdExpiresAt
    ...OrderDetails_order
  }
`);

const OrderPageById = graphql(`
  query OrderPageById($id: ID!) {
    order(id: $id) {
      ...OrderPage_order
    }
  }
`);

const OrderPageByToken = graphql(`
  query OrderPageByToken($token: String!) {
    orderByToken(token: $token) {
      ...OrderPage_order
    }
  }
`);

type Payment = { code: string; message: string } | null;

export function OrderPage() {
  const { id = "" } = useParams();
  const location = useLocation();
  const session = useSession();
  const guestToken = orderToken(id);
  const placed = placedState(location.state);
  const byToken = guestToken !== null;
  const [mine, refetchMine] = useQuery({
    query: OrderPageById,
    variables: { id },
    pause: byToken || session.status !== "signedIn",
  });
  const [guest, refetchGuest] = useQuery({
    query: OrderPageByToken,
    variables: { token: guestToken ?? "" },
    pause: !byToken,
  });
  const result = byToken ? guest : mine;
  const found = byToken ? guest.data?.orderByToken : mine.data?.order;
  const order = found ? readFragment(OrderPageFields, found) : found;

  // What the last payment here said: at checkout (from the page that sent us) or "Pay now".
  const [payment, setPayment] = useState<Payment>(placed?.payment ?? null);
  const [attempts, setAttempts] = useState(0);
  const [paidHere, setPaidHere] = useState(false);

  usePageTitle(order ? `Order ${order.number}` : "Order");

  function onOutcome(outcome: PaymentOutcome) {
    setAttempts((n) => n + 1);
    if (outcome.paid) {
      // The answer names the Order, so urql's cache reads this page's order again itself.
      setPaidHere(true);
      setPayment(null);
      return;
    }
    setPayment({ code: outcome.code, message: outcome.message });
    // A refusal carries no order: read it again here (it may have been cancelled meanwhile).
    const refetch = byToken ? refetchGuest : refetchMine;
    refetch({ requestPolicy: "network-only" });
  }

  // Paid here: the form is gone, so the keyboard goes to the news that replaces it.
  const paidNotice = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (paidHere) paidNotice.current?.focus();
  }, [paidHere]);

  let body;
  if (!byToken && session.status === "starting") {
    body = <p>Loading…</p>;
  } else if (!byToken && session.status === "anonymous") {
    body = (
      <div className="stack">
        <p>We cannot show this order here.</p>
        <p>
          A customer&apos;s order can be seen after signing in: <Link to="/login">Sign in</Link>. An
          order placed as a guest can be seen only in the browser tab it was placed in.
        </p>
      </div>
    );
  } else if (!order && (result.fetching || (!result.data && !result.error))) {
    body = <p>Loading…</p>;
  } else if (!order) {
    body = (
      <div className="form-error" role="alert">
        {result.error && !isForbidden(result.error) ? (
          <p>This order could not be loaded: {requestErrorText(result.error)}</p>
        ) : byToken ? (
          <p>
            We could not find this order. The link to it works only in the browser tab it was placed
            in.
          </p>
        ) : (
          <p>We could not find this order in your account.</p>
        )}
        <p>
          <Link to="/">Back to the shop</Link>
        </p>
      </div>
    );
  } else {
    // Paid just now: show it before the refetch brings the new status.
    const status = paidHere && order.status === "PENDING" ? "PAID" : order.status;
    const paid = status === "PAID" || status === "SHIPPED" || status === "DELIVERED";
    body = (
      <>
        {paid && (placed || paidHere) && (
          <div className="notice stack" role="status" tabIndex={-1} ref={paidNotice}>
            <p>
              <strong>
                {paidHere ? "Payment received. " : ""}Thank you — your order is placed.
              </strong>
            </p>
            {order.email && <p>A confirmation email is on its way to {order.email}.</p>}
          </div>
        )}
        {status === "PENDING" && (
          <div className="stack order-pending">
            <PendingMessage key={attempts} payment={payment} />
            {order.holdExpiresAt && (
              <p>
                We hold your items until {formatDateTime(order.holdExpiresAt)}. If the order is not
                paid by then, it is cancelled.
              </p>
            )}
            <PayOrderForm orderId={order.id} guestToken={guestToken} onOutcome={onOutcome} />
          </div>
        )}
        {status === "CANCELLED" && <p className="form-error">This order was cancelled.</p>}
        {result.error && (
          <p className="form-error" role="alert">
            The order could not be brought up to date: {requestErrorText(result.error)}
          </p>
        )}
        <OrderDetails order={order} />
        <p>
          <Link to="/">Continue shopping</Link>
        </p>
      </>
    );
  }

  return (
    <section className="page order-page">
      <h1>{order ? `Order ${order.number}` : "Order"}</h1>
      {body}
    </section>
  );
}

/** Why the order is still waiting for its payment, and what to do. */
function PendingMessage(props: { payment: Payment }) {
  const { payment } = props;
  if (payment?.code === "PAYMENT_DECLINED") {
    return (
      <p className="form-error" role="alert">
        Your card was declined. Choose another card and pay again.
      </p>
    );
  }
  if (payment) {
    return (
      <p className="form-error" role="alert">
        The payment did not go through: {payment.message} Choose a card and pay again.
      </p>
    );
  }
  return (
    <p className="form-error" role="alert">
      This order is not paid yet. Choose a card and pay for it.
    </p>
  );
}
