import { Link, NavLink, Outlet } from "react-router";
import { useQuery } from "urql";
import { useSession } from "../auth/session";
import { useCartId } from "../cart/cartStore";
import { graphql } from "../gql";

const CartCount = graphql(`
  query CartCount($id: ID!) {
    cart(id: $id) {
      id
      totalQuantity
    }
  }
`);

function CartLink() {
  const cartId = useCartId();
  const [{ data }] = useQuery({
    query: CartCount,
    variables: { id: cartId ?? "" },
    pause: !cartId,
  });
  const count = cartId ? (data?.cart?.totalQuantity ?? 0) : 0;
  return (
    <NavLink to="/cart">
      Cart{" "}
      <span className="count" aria-label={`${count} items`}>
        {count}
      </span>
    </NavLink>
  );
}

/** The frame every page shares: a skip link, the store's name, the menu and the page. */
export function Layout() {
  const session = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Shopgraph
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Shop
              </NavLink>
            </li>
            <li>
              <CartLink />
            </li>
            <li>
              {session.status === "signedIn" ? (
                <NavLink to="/account">Account</NavLink>
              ) : (
                <NavLink to="/login">Sign in</NavLink>
              )}
            </li>
          </ul>
        </nav>
      </header>
      <main id="main">
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>
          A reference storefront for the Shopgraph API. Test cards: <code>tok_visa</code> pays,{" "}
          <code>tok_chargeDeclined</code> is declined.
        </p>
      </footer>
    </>
  );
}
