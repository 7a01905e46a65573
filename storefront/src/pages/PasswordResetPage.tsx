import { type FormEvent, type RefObject, useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useMutation } from "urql";
import { FormAlert } from "../account/FormAlert";
import { PASSWORD_HINT } from "../account/passwordRule";
import { TextField } from "../account/TextField";
import "../account/account.css";
import { currentSession, logout } from "../auth/session";
import { graphql } from "../gql";
import { payloadErrors } from "../lib/errors";
import { errorFor, generalErrors, type UserError } from "../lib/userErrors";
import { usePageTitle } from "../lib/usePageTitle";
import { SubmitRow } from "../account/SubmitRow";

const PasswordResetRequest = graphql(`
  mutation PasswordResetRequest($email: String!) {
    requestPasswordReset(email: $email) {
      ok
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const PasswordResetSet = graphql(`
  mutation PasswordResetSet($token: String!, $newPassword: String!) {
    resetPassword(token: $token, newPassword: $newPassword) {
      ok
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

type Step = "request" | "reset" | "done";

/** "Forgot your password": ask for a code by email, then set a new password with it. A
 * link with `?code=` starts at the second step with the code filled in. */
export function PasswordResetPage() {
  usePageTitle("Reset your password");
  const [params, setParams] = useSearchParams();
  const codeParam = params.get("code")?.trim() ?? "";
  // The code is read once, then taken out of the address, so that it is not left in the
  // history, a bookmark or a shared link.
  useEffect(() => {
    if (!params.has("code")) return;
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.delete("code");
        return next;
      },
      { replace: true },
    );
  }, [params, setParams]);
  const [step, setStep] = useState<Step>(codeParam ? "reset" : "request");
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState(codeParam);
  const [newPassword, setNewPassword] = useState("");
  const [errors, setErrors] = useState<UserError[]>([]);
  const [requestState, requestReset] = useMutation(PasswordResetRequest);
  const [resetState, setPassword] = useMutation(PasswordResetSet);
  const codeInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const doneNotice = useRef<HTMLDivElement>(null);
  // Where the keyboard goes once the next step is on screen (its button is gone).
  const focusNext = useRef<RefObject<HTMLElement | null> | null>(null);
  useEffect(() => {
    focusNext.current?.current?.focus();
    focusNext.current = null;
  }, [step]);

  async function sendCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (requestState.fetching) return;
    const address = email.trim();
    if (!address)
      return setErrors([
        { field: ["email"], message: "Enter your email address.", code: "INVALID" },
      ]);
    setErrors([]);
    const result = await requestReset({ email: address });
    const problems = payloadErrors(result.data?.requestPasswordReset, result.error);
    if (problems.length > 0) return setErrors(problems);
    setSentTo(address);
    setStep("reset");
    // The notice above the new form says what happened; the code is what to do next.
    focusNext.current = codeInput;
  }

  async function setNew(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (resetState.fetching) return;
    const token = code.trim();
    const missing: UserError[] = [];
    if (!token)
      missing.push({
        field: ["token"],
        message: "Enter the code from the email.",
        code: "INVALID",
      });
    if (!newPassword)
      missing.push({ field: ["newPassword"], message: "Enter a new password.", code: "INVALID" });
    if (missing.length > 0) return setErrors(missing);
    setErrors([]);
    const result = await setPassword({ token, newPassword });
    const payload = result.data?.resetPassword;
    const problems = payloadErrors(payload, result.error);
    if (problems.length > 0 || !payload?.ok) {
      setErrors(problems);
      if (errorFor(problems, "token")) codeInput.current?.focus();
      else if (errorFor(problems, "newPassword")) passwordInput.current?.focus();
      return;
    }
    // The server has ended every session of the account; forget ours too.
    if (currentSession().status === "signedIn") await logout();
    setNewPassword("");
    setStep("done");
    // The form is gone: keep the keyboard where the news is, not at the top of the page.
    focusNext.current = doneNotice;
  }

  function startOver() {
    setErrors([]);
    setCode("");
    setSentTo(null);
    setStep("request");
    focusNext.current = emailInput;
  }

  return (
    <section className="page account-form">
      <h1>Reset your password</h1>
      {step === "request" && (
        <form className="stack panel" onSubmit={sendCode} noValidate>
          <p>
            Enter the email address of your account, and we will email you a code to set a new
            password with.
          </p>
          <FormAlert messages={generalErrors(errors, ["email"])} />
          <TextField
            id="reset-email"
            ref={emailInput}
            label="Email"
            type="email"
            name="email"
            autoComplete="username"
            inputMode="email"
            spellCheck={false}
            required
            value={email}
            error={errorFor(errors, "email")}
            onChange={(event) => setEmail(event.target.value)}
          />
          <SubmitRow label="Send reset code" busy={requestState.fetching} busyText="Sending…" />
        </form>
      )}
      {step === "reset" && (
        <>
          <div className="notice" role="status">
            {sentTo ? (
              <p>
                If an account exists for {sentTo}, we sent it a reset code. It works once, within an
                hour; only the newest code works.
              </p>
            ) : (
              <p>Choose a new password for your account.</p>
            )}
          </div>
          <form className="stack panel" onSubmit={setNew} noValidate>
            <FormAlert messages={generalErrors(errors, ["token", "newPassword"])} />
            <TextField
              id="reset-code"
              ref={codeInput}
              label="Reset code"
              name="code"
              autoComplete="one-time-code"
              spellCheck={false}
              autoCapitalize="off"
              autoCorrect="off"
              required
              hint="Copy it from the email; it is a long line of letters and digits."
              value={code}
              error={errorFor(errors, "token")}
              onChange={(event) => setCode(event.target.value)}
            />
            <TextField
              id="reset-new-password"
              ref={passwordInput}
              label="New password"
              type="password"
              name="new-password"
              autoComplete="new-password"
              required
              hint={PASSWORD_HINT}
              value={newPassword}
              error={errorFor(errors, "newPassword")}
              onChange={(event) => setNewPassword(event.target.value)}
            />
            <SubmitRow label="Set new password" busy={resetState.fetching} busyText="Saving…" />
          </form>
          <p>
            No email, or the code does not work?{" "}
            <button type="button" className="link-button" onClick={startOver}>
              Send a new code
            </button>
          </p>
        </>
      )}
      {step === "done" && (
        <div className="notice" role="status" tabIndex={-1} ref={doneNotice}>
          <p>
            Your password is changed. Sign in with the new password.{" "}
            <Link to="/login">Sign in</Link>
          </p>
        </div>
      )}
    </section>
  );
}
