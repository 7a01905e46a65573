import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { payloadErrors } from "../lib/errors";
import { errorFor, generalErrors, type UserError } from "../lib/userErrors";
import { FormAlert } from "./FormAlert";
import { TextField } from "./TextField";
import { SubmitRow } from "./SubmitRow";

const ConfirmEmailFormVerify = graphql(`
  mutation ConfirmEmailFormVerify($token: String!) {
    verifyEmail(token: $token) {
      user {
        id
        emailVerified
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

/** After signing up where addresses are confirmed before the first sign-in: where the code
 * went, and a form to type it in (`verifyEmail`, no sign-in needed); then a link to sign in. */
export function ConfirmEmailForm(props: { email: string; signInPath: string }) {
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<UserError[]>([]);
  const [confirmed, setConfirmed] = useState(false);
  const [{ fetching }, verify] = useMutation(ConfirmEmailFormVerify);
  const codeInput = useRef<HTMLInputElement>(null);
  const doneNotice = useRef<HTMLDivElement>(null);

  // The sign-up form just went: the keyboard goes to what to do next, the code. Once
  // confirmed, this form goes too: the keyboard goes to the news and its link.
  useEffect(() => {
    if (confirmed) doneNotice.current?.focus();
    else codeInput.current?.focus();
  }, [confirmed]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (fetching) return;
    const token = code.trim();
    if (!token) {
      setErrors([{ field: ["token"], message: "Enter the code from the email.", code: "INVALID" }]);
      codeInput.current?.focus();
      return;
    }
    setErrors([]);
    const result = await verify({ token });
    const problems = payloadErrors(result.data?.verifyEmail, result.error);
    if (problems.length > 0) {
      setErrors(problems);
      if (errorFor(problems, "token")) codeInput.current?.focus();
      return;
    }
    setConfirmed(true);
  }

  if (confirmed) {
    return (
      <div className="notice" role="status" tabIndex={-1} ref={doneNotice}>
        <p>
          Your email is confirmed. <Link to={props.signInPath}>Sign in</Link>.
        </p>
      </div>
    );
  }
  return (
    <>
      <div className="notice" role="status">
        <p>
          Check your inbox: if {props.email} can be used for a new account, we sent it a code that
          confirms the address. Enter it below; once it is confirmed,{" "}
          <Link to={props.signInPath}>sign in</Link>.
        </p>
      </div>
      <form className="stack panel" onSubmit={submit} noValidate>
        <FormAlert messages={generalErrors(errors, ["token"])} />
        <TextField
          id="confirm-email-code"
          ref={codeInput}
          label="Confirmation code"
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
        <SubmitRow label="Confirm email" busy={fetching} busyText="Confirming…" />
      </form>
    </>
  );
}
