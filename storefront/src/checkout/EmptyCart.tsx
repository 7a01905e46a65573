import { Link } from "react-router";

/** What the cart page and the checkout show for an empty cart, after `notice` if any. */
export function EmptyCart({ notice }: { notice?: string | null }) {
  return (
    <div className="stack">
      {notice && (
        <p className="form-error" role="alert">
          {notice}
        </p>
      )}
      <p>Your cart is empty.</p>
      <p>
        <Link to="/">Browse the shop</Link> and add something you like.
      </p>
    </div>
  );
}
