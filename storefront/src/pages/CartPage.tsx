import { useCallback, useRef, useState } from "react";
import { Link } from "react-router";
import { CartLineRow, type LineProblem } from "../checkout/CartLineRow";
import { CostSummary } from "../checkout/CostSummary";
import { BLOCKING_LINE_PROBLEMS, useRefetchOnStockChange } from "../checkout/cartStock";
import { useCurrentCart } from "../checkout/useCurrentCart";
import "../checkout/checkout.css";
import { CartLoadFailed } from "../checkout/CartLoadFailed";
import { EmptyCart } from "../checkout/EmptyCart";
import { requestErrorText } from "../lib/errors";
import { graphql } from "../gql";
import { useLiveStock } from "../live/useLiveStock";
import { usePageTitle } from "../lib/usePageTitle";

const CartPageQuery = graphql(`
  query CartPage($id: ID!) {
    cart(id: $id) {
      id
      completed
      shippingAddress {
        country
      }
      shippingMethod {
        id
      }
      lines {
        id
        variant {
          id
          stock
          inStock
        }
        ...CartLineRow_line
      }
      cost {
        ...CostSummary_cost
      }
      problems {
        lineId
        code
        message
      }
    }
  }
`);

export function CartPage() {
  usePageTitle("Your cart");
  const { cart, loading, error, refetch } = useCurrentCart(CartPageQuery);
  const variantIds = cart?.lines.flatMap((line) => (line.variant ? [line.variant.id] : [])) ?? [];
  const live = useLiveStock({ variantIds }, refetch);
  useRefetchOnStockChange(live, variantIds, refetch);

  const [announcement, setAnnouncement] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  const focusHeadingIfLost = useCallback(() => {
    // The removed line took the focus with it: put it somewhere sensible.
    setTimeout(() => {
      if (document.activeElement === document.body || !document.activeElement) {
        heading.current?.setAttribute("tabindex", "-1");
        heading.current?.focus();
      }
    }, 0);
  }, []);

  let body;
  if (loading) {
    body = <p>Loading…</p>;
  } else if (error && !cart) {
    body = <CartLoadFailed error={error} retry={refetch} />;
  } else if (!cart || cart.lines.length === 0) {
    body = <EmptyCart />;
  } else {
    const byLine = new Map<string, LineProblem[]>();
    const cartProblems: LineProblem[] = [];
    for (const problem of cart.problems) {
      if (problem.lineId)
        byLine.set(problem.lineId, [...(byLine.get(problem.lineId) ?? []), problem]);
      else cartProblems.push(problem);
    }
    const blocked = cart.problems.some((p) => p.lineId && BLOCKING_LINE_PROBLEMS.has(p.code));
    body = (
      <div className="cart-layout">
        <section aria-labelledby="cart-items-heading" className="stack">
          <h2 id="cart-items-heading" className="visually-hidden">
            Items
          </h2>
          {error && (
            <p className="form-error" role="alert">
              The cart could not be brought up to date: {requestErrorText(error)}
            </p>
          )}
          <ul className="cart-lines">
            {cart.lines.map((line) => (
              <CartLineRow
                key={line.id}
                cartId={cart.id}
                line={line}
                problems={byLine.get(line.id) ?? []}
                stock={line.variant ? live.variant(line.variant.id, line.variant) : null}
                announce={setAnnouncement}
                onRemoved={focusHeadingIfLost}
              />
            ))}
          </ul>
        </section>
        <section aria-labelledby="cart-summary-heading" className="panel stack cart-summary">
          <h2 id="cart-summary-heading">Summary</h2>
          <CostSummary
            cost={cart.cost}
            addressKnown={!!cart.shippingAddress}
            methodChosen={!!cart.shippingMethod}
          />
          {cartProblems.length > 0 && (
            <ul className="line-problems" aria-live="polite">
              {cartProblems.map((problem) => (
                <li key={problem.code} data-code={problem.code}>
                  {problem.message} You can change this at checkout.
                </li>
              ))}
            </ul>
          )}
          {blocked ? (
            <>
              <button type="button" disabled aria-describedby="checkout-blocked">
                Checkout
              </button>
              <p id="checkout-blocked" className="field-error">
                Some items cannot be bought as they are: change their quantity or remove them to
                check out.
              </p>
            </>
          ) : (
            <Link to="/checkout" className="button">
              Checkout
            </Link>
          )}
          <p>
            <Link to="/">Continue shopping</Link>
          </p>
        </section>
      </div>
    );
  }

  return (
    <section className="page">
      <h1 ref={heading}>Your cart</h1>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      {body}
    </section>
  );
}
