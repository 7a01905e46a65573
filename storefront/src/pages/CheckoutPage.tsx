import { type MouseEvent, useCallback, useId, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { useSession } from "../auth/session";
import { forgetCart } from "../cart/cartStore";
import { attemptKey, endAttempt } from "../checkout/attemptKey";
import { ContactSection } from "../checkout/ContactSection";
import { DiscountSection } from "../checkout/DiscountSection";
import {
  messagesFor,
  type PlacedError,
  placeErrors,
  type Section,
  SECTION_IDS,
  SECTION_NAMES,
} from "../checkout/checkoutErrors";
import { OrderSummary } from "../checkout/OrderSummary";
import { usePendingSaves } from "../checkout/pendingSaves";
import { ShippingAddressSection } from "../checkout/ShippingAddressSection";
import { ShippingMethodSection } from "../checkout/ShippingMethodSection";
import { DEFAULT_TEST_CARD, TestCardSelect } from "../checkout/TestCardSelect";
import { useCurrentCart } from "../checkout/useCurrentCart";
import "../checkout/checkout.css";
import { graphql } from "../gql";
import { CartLoadFailed } from "../checkout/CartLoadFailed";
import { EmptyCart } from "../checkout/EmptyCart";
import { requestErrorText } from "../lib/errors";
import { userErrorsOf } from "../lib/userErrors";
import { usePageTitle } from "../lib/usePageTitle";
import { orderPath, type PlacedState, rememberOrderToken } from "../orders/orderAccess";

const CheckoutPageQuery = graphql(`
  query CheckoutPage($id: ID!) {
    cart(id: $id) {
      id
      completed
      lines {
        id
      }
      problems {
        lineId
        code
        message
      }
      ...ContactSection_cart
      ...ShippingAddressSection_cart
      ...ShippingMethodSection_cart
      ...DiscountSection_cart
      ...OrderSummary_cart
    }
  }
`);

const CheckoutPageMe = graphql(`
  query CheckoutPageMe {
    me {
      id
      ...ShippingAddressSection_user
    }
  }
`);

const CheckoutPageComplete = graphql(`
  mutation CheckoutPageComplete($cartId: ID!, $payment: PaymentInput, $idempotencyKey: String) {
    checkoutComplete(cartId: $cartId, payment: $payment, idempotencyKey: $idempotencyKey) {
      order {
        id
        token
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export function CheckoutPage() {
  usePageTitle("Checkout");
  const session = useSession();
  const navigate = useNavigate();
  const signedIn = session.status === "signedIn";
  const { cart, loading, error, refetch } = useCurrentCart(CheckoutPageQuery);
  const [me] = useQuery({ query: CheckoutPageMe, pause: !signedIn });

  const saves = usePendingSaves();
  const [errors, setPlaceErrors] = useState<PlacedError[]>([]);
  /** The last "Place order" got no answer: the order may or may not exist yet. */
  const [unanswered, setUnanswered] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [card, setCard] = useState<string>(DEFAULT_TEST_CARD);
  const [placing, setPlacing] = useState(false);
  const [, complete] = useMutation(CheckoutPageComplete);
  const shippingHeading = useRef<HTMLHeadingElement>(null);
  const errorSummary = useRef<HTMLDivElement>(null);
  const ids = useId();

  const clear = useCallback(
    (section: Section) => setPlaceErrors((errors) => errors.filter((e) => e.section !== section)),
    [],
  );

  async function placeOrder() {
    if (!cart || placing) return;
    setPlacing(true);
    setPlaceErrors([]);
    setUnanswered(false);
    await saves.settle();
    const key = attemptKey(cart.id);
    const result = await complete({
      cartId: cart.id,
      payment: { token: card },
      idempotencyKey: key,
    });
    const payload = result.data?.checkoutComplete;
    if (!payload) {
      // No answer: keep the key, so pressing again retries this same attempt.
      const message = result.error ? requestErrorText(result.error) : "The store sent no answer.";
      setUnanswered(true);
      setPlaceErrors([
        {
          section: "payment",
          message: `${message} Press "Place order" again: you will not be charged twice.`,
        },
      ]);
      setPlacing(false);
      setTimeout(() => errorSummary.current?.focus(), 0);
      return;
    }
    endAttempt(cart.id);
    const userErrors = userErrorsOf(payload.userErrors);
    const order = payload.order;
    if (order) {
      // Placed (paid, or PENDING when the card was declined): the server completed the cart.
      if (order.token) rememberOrderToken(order.id, order.token);
      const failed = userErrors.find(
        (e) => e.code === "PAYMENT_DECLINED" || e.code === "PAYMENT_FAILED",
      );
      const state: PlacedState = {
        placed: true,
        payment: failed ? { code: failed.code, message: failed.message } : null,
      };
      navigate(orderPath(order.id), { state });
      forgetCart();
      return;
    }
    setPlacing(false);
    const completed = userErrors.find((e) => e.code === "CART_COMPLETED");
    if (completed) {
      setNotice(completed.message);
      forgetCart();
      return;
    }
    setPlaceErrors(placeErrors(userErrors));
    refetch();
    setTimeout(() => errorSummary.current?.focus(), 0);
  }

  let body;
  if (loading) {
    body = <p>Loading…</p>;
  } else if (error && !cart) {
    body = <CartLoadFailed error={error} retry={refetch} />;
  } else if (!cart || cart.lines.length === 0) {
    body = <EmptyCart notice={notice} />;
  } else {
    const lineProblems = new Map<string, string[]>();
    const shippingProblems: string[] = [];
    const discountProblems: string[] = [];
    for (const problem of cart.problems) {
      if (problem.lineId) {
        lineProblems.set(problem.lineId, [
          ...(lineProblems.get(problem.lineId) ?? []),
          problem.message,
        ]);
      } else if (problem.code === "SHIPPING_METHOD_UNAVAILABLE")
        shippingProblems.push(problem.message);
      else discountProblems.push(problem.message);
    }
    const lineMessages = new Set([...lineProblems.values()].flat());
    const sectionsWithErrors = [...new Set(errors.map((e) => e.section))].filter(
      (s) => s !== "payment",
    );
    const accountEmail = signedIn ? (session.viewer.email ?? null) : null;
    body = (
      <div className="checkout-layout">
        <div className="checkout-main stack">
          <ContactSection
            cart={cart}
            accountEmail={accountEmail}
            checkoutErrors={messagesFor(errors, "contact")}
            track={saves.track}
            onChanged={() => clear("contact")}
          />
          <ShippingAddressSection
            cart={cart}
            user={me.data?.me ?? null}
            checkoutErrors={messagesFor(errors, "address")}
            track={saves.track}
            onSaved={() => {
              clear("address");
              shippingHeading.current?.focus();
            }}
          />
          <ShippingMethodSection
            cart={cart}
            problems={shippingProblems}
            checkoutErrors={messagesFor(errors, "shipping")}
            track={saves.track}
            onChanged={() => clear("shipping")}
            headingRef={shippingHeading}
          />
        </div>
        <div className="checkout-aside stack">
          <OrderSummary
            cart={cart}
            lineProblems={lineProblems}
            checkoutErrors={messagesFor(errors, "summary").filter((m) => !lineMessages.has(m))}
          />
          <DiscountSection
            cart={cart}
            problems={discountProblems}
            checkoutErrors={messagesFor(errors, "discount")}
            track={saves.track}
            onChanged={() => clear("discount")}
          />
        </div>
        <section
          aria-labelledby={`${ids}-payment`}
          className="checkout-section checkout-payment stack"
          id={SECTION_IDS.payment}
        >
          <h2 id={`${ids}-payment`}>Payment</h2>
          <form
            className="stack"
            onSubmit={(event) => {
              event.preventDefault();
              void placeOrder();
            }}
          >
            <p className="muted" id={`${ids}-card-hint`}>
              This store takes test cards only: choose what the card does.
            </p>
            <TestCardSelect
              id={`${ids}-card`}
              value={card}
              onChange={setCard}
              describedBy={`${ids}-card-hint`}
            />
            {errors.length > 0 && (
              <div className="form-error" role="alert" tabIndex={-1} ref={errorSummary}>
                <p>
                  <strong>
                    {unanswered
                      ? "We did not hear back from the store."
                      : "Your order was not placed."}
                  </strong>
                </p>
                {messagesFor(errors, "payment").map((message, index) => (
                  <p key={index}>{message}</p>
                ))}
                {sectionsWithErrors.length > 0 && (
                  <p>
                    Check:{" "}
                    {sectionsWithErrors.map((section, index) => (
                      <span key={section}>
                        {index > 0 && ", "}
                        <a
                          href={`#${SECTION_IDS[section]}`}
                          onClick={(event) => focusSection(event, section)}
                        >
                          {SECTION_NAMES[section]}
                        </a>
                      </span>
                    ))}
                    .
                  </p>
                )}
              </div>
            )}
            <div>
              <button type="submit" disabled={placing} aria-describedby={`${ids}-total-note`}>
                {placing ? "Placing order…" : "Place order"}
              </button>
            </div>
            <p className="muted" id={`${ids}-total-note`}>
              Your card is charged the total in the order summary.
            </p>
          </form>
        </section>
      </div>
    );
  }

  return (
    <section className="page">
      <h1>Checkout</h1>
      {body}
    </section>
  );
}

/** Moves to a section named in the error summary, and puts the focus on its heading. */
function focusSection(event: MouseEvent<HTMLAnchorElement>, section: Section) {
  event.preventDefault();
  const heading = document.getElementById(SECTION_IDS[section])?.querySelector<HTMLElement>("h2");
  if (!heading) return;
  heading.tabIndex = -1;
  heading.scrollIntoView({ block: "start" });
  heading.focus();
}
