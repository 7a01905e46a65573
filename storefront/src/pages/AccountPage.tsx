import { useState } from "react";
import { flushSync } from "react-dom";
import { Navigate, useNavigate } from "react-router";
import { OrderHistory } from "../account/OrderHistory";
import "../account/account.css";
import { logout, useSession } from "../auth/session";
import { usePageTitle } from "../lib/usePageTitle";

export function AccountPage() {
  usePageTitle("Your account");
  const session = useSession();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = useState(false);

  async function signOut() {
    // Rendered first, so that the page does not send the now anonymous shopper to sign in.
    flushSync(() => setSigningOut(true));
    await logout();
    navigate("/");
  }

  if (signingOut) {
    return (
      <section className="page account-page">
        <h1>Your account</h1>
        <p role="status">Signing out…</p>
      </section>
    );
  }
  if (session.status === "anonymous") return <Navigate to="/login?next=/account" replace />;
  return (
    <section className="page account-page">
      <h1>Your account</h1>
      {session.status === "starting" ? (
        <p>Loading…</p>
      ) : (
        <>
          <div className="panel account-summary">
            <dl className="account-details">
              <div>
                <dt>Name</dt>
                <dd>{session.viewer.name}</dd>
              </div>
              <div>
                <dt>Email</dt>
                <dd>{session.viewer.email}</dd>
              </div>
            </dl>
            <button type="button" className="secondary" onClick={signOut}>
              Sign out
            </button>
          </div>
          <OrderHistory key={session.viewer.id} />
        </>
      )}
    </section>
  );
}
