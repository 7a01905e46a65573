import { useEffect, useId, useRef, useState } from "react";
import { useMutation } from "urql";
import { type FragmentType, graphql, readFragment } from "../gql";
import { errorFor, generalErrors, type UserError } from "../lib/userErrors";
import { payloadErrors } from "../lib/errors";
import type { TrackSave } from "./pendingSaves";
import { useLatestSave } from "./useLatestSave";

export const ContactSectionFragment = graphql(`
  fragment ContactSection_cart on Cart {
    id
    email
  }
`);

const ContactSectionSetEmail = graphql(`
  mutation ContactSectionSetEmail($cartId: ID!, $email: String!) {
    cartSetEmail(cartId: $cartId, email: $email) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

/** Where the confirmation goes. A guest types it (saved when the field is left or on
 * Enter); a signed-in customer's cart uses the account's email unless it has one. */
export function ContactSection(props: {
  cart: FragmentType<typeof ContactSectionFragment>;
  /** The signed-in customer's email; null for a guest. */
  accountEmail: string | null;
  /** What the last "Place order" said about this section. */
  checkoutErrors: readonly string[];
  track: TrackSave;
  onChanged: () => void;
}) {
  const cart = readFragment(ContactSectionFragment, props.cart);
  const ids = useId();
  const [email, setEmail] = useState(cart.email ?? "");
  const [errors, setErrors] = useState<UserError[]>([]);
  const [saved, setSaved] = useState(false);
  const [, setCartEmail] = useMutation(ContactSectionSetEmail);

  // The address the field and the cart last agreed on (loaded, or saved from here). The
  // field follows the cart (changed in another tab) only while it holds no edit of its own
  // and no save is on its way, so a slower answer never puts an older address back.
  const agreed = useRef(cart.email ?? "");
  const saving = useRef(0);
  useEffect(() => {
    const server = cart.email ?? "";
    if (saving.current > 0 || server === agreed.current) return;
    if (document.activeElement?.id === `${ids}-email`) return;
    const before = agreed.current;
    setEmail((shown) => (shown.trim() === before ? server : shown));
    agreed.current = server;
  }, [cart.email, ids]);

  // What the field shows now, to say "Email saved." only for that.
  const shown = useRef(email);
  shown.current = email;

  const saveEmail = useLatestSave(async (value: string) => {
    const result = await setCartEmail({ cartId: cart.id, email: value });
    const payload = result.data?.cartSetEmail;
    const problems = payloadErrors(payload, result.error);
    setErrors(problems);
    if (problems.length > 0) return false;
    agreed.current = value;
    if (shown.current.trim() === value) setSaved(true);
    return true;
  }, props.track);

  // On Enter and on leaving the field; an address already saved is not sent again.
  async function save() {
    const value = email.trim();
    if (value === "" || value === agreed.current) return;
    setSaved(false);
    saving.current += 1;
    try {
      if (await saveEmail(value)) props.onChanged();
    } finally {
      saving.current -= 1;
    }
  }

  if (props.accountEmail) {
    return (
      <section
        aria-labelledby={`${ids}-heading`}
        className="checkout-section stack"
        id="checkout-contact"
      >
        <h2 id={`${ids}-heading`}>Contact</h2>
        <p>
          Signed in as <strong>{props.accountEmail}</strong>. The order confirmation goes to{" "}
          <strong>{cart.email ?? props.accountEmail}</strong>.
        </p>
        <SectionErrors messages={props.checkoutErrors} />
      </section>
    );
  }

  const fieldError = errorFor(errors, "email");
  const other = generalErrors(errors, ["email"]);
  const described = [
    fieldError ? `${ids}-error` : null,
    props.checkoutErrors.length ? `${ids}-checkout` : null,
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <section
      aria-labelledby={`${ids}-heading`}
      className="checkout-section stack"
      id="checkout-contact"
    >
      <h2 id={`${ids}-heading`}>Contact</h2>
      <form
        className="stack"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <div className="field">
          <label htmlFor={`${ids}-email`}>Email</label>
          <input
            id={`${ids}-email`}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
              setSaved(false);
            }}
            onBlur={() => void save()}
            aria-required="true"
            aria-invalid={fieldError || props.checkoutErrors.length ? true : undefined}
            aria-describedby={[described, `${ids}-hint`].filter(Boolean).join(" ")}
          />
          <p className="muted field-hint" id={`${ids}-hint`}>
            We send the order confirmation here.
          </p>
          {fieldError && (
            <p className="field-error" id={`${ids}-error`}>
              {fieldError}
            </p>
          )}
          {props.checkoutErrors.length > 0 && (
            <p className="field-error" id={`${ids}-checkout`}>
              {props.checkoutErrors.join(" ")}
            </p>
          )}
        </div>
        {other.length > 0 && (
          <p className="form-error" role="alert">
            {other.join(" ")}
          </p>
        )}
        <p className="muted" role="status">
          {saved ? "Email saved." : ""}
        </p>
      </form>
    </section>
  );
}

/** What "Place order" said about a section, where no field of it holds it. */
export function SectionErrors(props: { messages: readonly string[] }) {
  if (props.messages.length === 0) return null;
  return (
    <div className="form-error">
      {props.messages.map((message, index) => (
        <p key={index}>{message}</p>
      ))}
    </div>
  );
}
