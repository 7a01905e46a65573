import { type FormEvent, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { ConfirmEmailForm } from "../account/ConfirmEmailForm";
import { FormAlert } from "../account/FormAlert";
import { useNextPath, withNext } from "../account/nextPath";
import { PASSWORD_HINT } from "../account/passwordRule";
import { requestProblem } from "../lib/errors";
import { SignedInNotice } from "../account/SignedInNotice";
import { TextField } from "../account/TextField";
import "../account/account.css";
import { register, useSession } from "../auth/session";
import { errorFor, generalErrors, type UserError } from "../lib/userErrors";
import { usePageTitle } from "../lib/usePageTitle";
import { SubmitRow } from "../account/SubmitRow";

const FIELDS = ["name", "email", "password"] as const;

export function RegisterPage() {
  usePageTitle("Create an account");
  const session = useSession();
  const navigate = useNavigate();
  const next = useNextPath();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<UserError[]>([]);
  const [busy, setBusy] = useState(false);
  const [awaitingConfirmation, setAwaitingConfirmation] = useState<string | null>(null);
  const inputs = {
    name: useRef<HTMLInputElement>(null),
    email: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
  };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors([]);
    let found: UserError[];
    try {
      const registration = await register(email.trim(), password, name.trim());
      found = registration.problems;
      if (registration.signedIn) {
        navigate(next ?? "/account", { replace: true });
        return;
      }
      if (found.length === 0) {
        // The store confirms addresses before the first sign-in.
        setAwaitingConfirmation(email.trim());
        setBusy(false);
        return;
      }
    } catch (error) {
      found = [requestProblem(error)];
    }
    setErrors(found);
    setBusy(false);
    // Take the shopper to the first input to fix; problems of the whole form are
    // announced by the alert at the top.
    const first = FIELDS.find((field) => errorFor(found, field));
    if (first) inputs[first].current?.focus();
  }

  const signedIn = session.status === "signedIn" && !busy;
  return (
    <section className="page account-form">
      <h1>Create an account</h1>
      {session.status === "starting" ? (
        <p>Loading…</p>
      ) : signedIn ? (
        <SignedInNotice viewer={session.viewer} />
      ) : awaitingConfirmation ? (
        <ConfirmEmailForm email={awaitingConfirmation} signInPath={withNext("/login", next)} />
      ) : (
        <>
          <form className="stack panel" onSubmit={submit} noValidate>
            <FormAlert messages={generalErrors(errors, FIELDS)} />
            <TextField
              id="register-name"
              ref={inputs.name}
              label="Name"
              name="name"
              autoComplete="name"
              required
              value={name}
              error={errorFor(errors, "name")}
              onChange={(event) => setName(event.target.value)}
            />
            <TextField
              id="register-email"
              ref={inputs.email}
              label="Email"
              type="email"
              name="email"
              autoComplete="email"
              inputMode="email"
              spellCheck={false}
              required
              value={email}
              error={errorFor(errors, "email")}
              onChange={(event) => setEmail(event.target.value)}
            />
            <TextField
              id="register-password"
              ref={inputs.password}
              label="Password"
              type="password"
              name="password"
              autoComplete="new-password"
              required
              hint={PASSWORD_HINT}
              value={password}
              error={errorFor(errors, "password")}
              onChange={(event) => setPassword(event.target.value)}
            />
            <SubmitRow label="Create account" busy={busy} busyText="Creating your account…" />
          </form>
          <p>
            Already have an account? <Link to={withNext("/login", next)}>Sign in</Link>
          </p>
        </>
      )}
    </section>
  );
}
