import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { FormAlert } from "../account/FormAlert";
import { useNextPath, withNext } from "../account/nextPath";
import { requestProblem } from "../lib/errors";
import { SignedInNotice } from "../account/SignedInNotice";
import { TextField } from "../account/TextField";
import "../account/account.css";
import { login, useSession } from "../auth/session";
import { usePageTitle } from "../lib/usePageTitle";
import { SubmitRow } from "../account/SubmitRow";

export function LoginPage() {
  usePageTitle("Sign in");
  const session = useSession();
  const navigate = useNavigate();
  const next = useNextPath();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const missing = [
      ...(email.trim() ? [] : ["Enter your email address."]),
      ...(password ? [] : ["Enter your password."]),
    ];
    if (missing.length > 0) return setProblems(missing);
    setBusy(true);
    setProblems([]);
    try {
      const errors = await login(email.trim(), password);
      if (errors.length === 0) {
        navigate(next ?? "/account", { replace: true });
        return;
      }
      setProblems(errors.map((error) => error.message));
      setPassword("");
    } catch (error) {
      setProblems([requestProblem(error).message]);
    }
    setBusy(false);
  }

  // While a sign-in of this form is under way the form stays, so it does not flash the
  // "signed in" notice before leaving the page.
  const signedIn = session.status === "signedIn" && !busy;
  return (
    <section className="page account-form">
      <h1>Sign in</h1>
      {session.status === "starting" ? (
        <p>Loading…</p>
      ) : signedIn ? (
        <SignedInNotice viewer={session.viewer} />
      ) : (
        <>
          <form className="stack panel" onSubmit={submit} noValidate>
            <FormAlert messages={problems} />
            <TextField
              id="login-email"
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              inputMode="email"
              spellCheck={false}
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
            <TextField
              id="login-password"
              label="Password"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            <SubmitRow label="Sign in" busy={busy} busyText="Signing in…" />
          </form>
          <ul className="account-links">
            <li>
              <Link to="/reset-password">Forgot your password?</Link>
            </li>
            <li>
              New here? <Link to={withNext("/register", next)}>Create an account</Link>
            </li>
          </ul>
        </>
      )}
    </section>
  );
}
