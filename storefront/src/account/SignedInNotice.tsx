import { Link } from "react-router";
import type { Viewer } from "../auth/session";

/** Shown instead of a sign-in or sign-up form to someone already signed in. */
export function SignedInNotice({ viewer }: { viewer: Viewer }) {
  return (
    <div className="notice">
      <p>
        You are signed in as {viewer.name}
        {viewer.email ? ` (${viewer.email})` : ""}. <Link to="/account">Go to your account</Link>
      </p>
    </div>
  );
}
