import { useEffect, useId, useState } from "react";
import { useMutation } from "urql";
import { type FragmentType, graphql, readFragment } from "../gql";
import { generalErrors, type UserError } from "../lib/userErrors";
import {
  AddressFields,
  addressFieldsOf,
  addressInput,
  type AddressDraft,
  draftOf,
} from "./AddressFields";
import { AddressText, addressLines } from "./AddressText";
import { SectionErrors } from "./ContactSection";
import { payloadErrors } from "../lib/errors";
import type { TrackSave } from "./pendingSaves";

export const ShippingAddressSectionFragment = graphql(`
  fragment ShippingAddressSection_cart on Cart {
    id
    shippingAddress {
      ...AddressText_address
      ...AddressFields_address
    }
  }
`);

export const ShippingAddressSectionUserFragment = graphql(`
  fragment ShippingAddressSection_user on User {
    id
    addresses {
      id
      isDefaultShipping
      address {
        ...AddressFields_address
      }
    }
  }
`);

const ShippingAddressSectionSet = graphql(`
  mutation ShippingAddressSectionSet($cartId: ID!, $address: AddressInput, $savedAddressId: ID) {
    cartSetShippingAddress(cartId: $cartId, address: $address, savedAddressId: $savedAddressId) {
      cart {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

const ADDRESS_FIELDS = [
  "firstName",
  "lastName",
  "company",
  "line1",
  "line2",
  "city",
  "region",
  "postalCode",
  "country",
  "phone",
];
const NEW_ADDRESS = "new";

/** Where the order goes: the cart's address with a "Change" button, or a form (a signed-in
 * customer may pick one from their address book instead). */
export function ShippingAddressSection(props: {
  cart: FragmentType<typeof ShippingAddressSectionFragment>;
  user: FragmentType<typeof ShippingAddressSectionUserFragment> | null;
  checkoutErrors: readonly string[];
  track: TrackSave;
  onSaved: () => void;
}) {
  const cart = readFragment(ShippingAddressSectionFragment, props.cart);
  const user = props.user ? readFragment(ShippingAddressSectionUserFragment, props.user) : null;
  const saved = user?.addresses ?? [];
  const ids = useId();
  const [editing, setEditing] = useState(!cart.shippingAddress);
  const [draft, setDraft] = useState<AddressDraft>(() => draftOf(cart.shippingAddress));
  const [pick, setPick] = useState<string>(NEW_ADDRESS);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [{ fetching }, setAddress] = useMutation(ShippingAddressSectionSet);

  // Offer the customer's default address first, once their book has loaded.
  const defaultId = (saved.find((entry) => entry.isDefaultShipping) ?? saved[0])?.id;
  useEffect(() => {
    if (defaultId && !cart.shippingAddress)
      setPick((current) => (current === NEW_ADDRESS ? defaultId : current));
  }, [defaultId, cart.shippingAddress]);

  async function submit() {
    const variables =
      pick !== NEW_ADDRESS && saved.length > 0
        ? { cartId: cart.id, savedAddressId: pick }
        : { cartId: cart.id, address: addressInput(draft) };
    const result = await props.track(setAddress(variables));
    const payload = result.data?.cartSetShippingAddress;
    const problems = payloadErrors(payload, result.error);
    setErrors(problems);
    if (problems.length > 0) {
      const first = problems
        .find((e) => ADDRESS_FIELDS.includes(e.field?.at(-1) ?? ""))
        ?.field?.at(-1);
      if (first) document.getElementById(`${ids}-${first}`)?.focus();
      return;
    }
    setEditing(false);
    props.onSaved();
  }

  const heading = <h2 id={`${ids}-heading`}>Shipping address</h2>;

  if (!editing && cart.shippingAddress) {
    return (
      <section
        aria-labelledby={`${ids}-heading`}
        className="checkout-section stack"
        id="checkout-address"
      >
        {heading}
        <AddressText address={cart.shippingAddress} />
        <p>
          <button
            type="button"
            id={`${ids}-change`}
            className="secondary"
            onClick={() => {
              setDraft(draftOf(cart.shippingAddress));
              setPick(NEW_ADDRESS);
              setEditing(true);
              focusLater(`${ids}-pick-${NEW_ADDRESS}`, `${ids}-firstName`);
            }}
          >
            Change address
          </button>
        </p>
        <SectionErrors messages={props.checkoutErrors} />
      </section>
    );
  }

  const other = generalErrors(errors, ADDRESS_FIELDS);
  const useSaved = pick !== NEW_ADDRESS && saved.length > 0;
  return (
    <section
      aria-labelledby={`${ids}-heading`}
      className="checkout-section stack"
      id="checkout-address"
    >
      {heading}
      <SectionErrors messages={props.checkoutErrors} />
      <form
        className="stack"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        {saved.length > 0 && (
          <fieldset className="choice-list">
            <legend>Ship to</legend>
            {saved.map((entry) => (
              <div key={entry.id} className="choice">
                <input
                  type="radio"
                  id={`${ids}-pick-${entry.id}`}
                  name={`${ids}-pick`}
                  value={entry.id}
                  checked={pick === entry.id}
                  onChange={() => setPick(entry.id)}
                />
                <label htmlFor={`${ids}-pick-${entry.id}`}>
                  {addressLines(addressFieldsOf(entry.address)).join(", ")}
                  {entry.isDefaultShipping && <span className="muted"> (default)</span>}
                </label>
              </div>
            ))}
            <div className="choice">
              <input
                type="radio"
                id={`${ids}-pick-${NEW_ADDRESS}`}
                name={`${ids}-pick`}
                value={NEW_ADDRESS}
                checked={pick === NEW_ADDRESS}
                onChange={() => setPick(NEW_ADDRESS)}
              />
              <label htmlFor={`${ids}-pick-${NEW_ADDRESS}`}>A new address</label>
            </div>
          </fieldset>
        )}
        {!useSaved && (
          <AddressFields idPrefix={ids} value={draft} onChange={setDraft} errors={errors} />
        )}
        {other.length > 0 && (
          <div className="form-error" role="alert">
            {other.map((message, index) => (
              <p key={index}>{message}</p>
            ))}
          </div>
        )}
        {errors.length > 0 && other.length === 0 && (
          <p className="visually-hidden" role="alert">
            The address has problems: see the marked fields.
          </p>
        )}
        <div className="row">
          <button type="submit" disabled={fetching}>
            {useSaved ? "Ship to this address" : "Save address"}
          </button>
          {cart.shippingAddress && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setEditing(false);
                setErrors([]);
                focusLater(`${ids}-change`);
              }}
            >
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

/** Focuses the first of these elements that exists once React has drawn the change. */
function focusLater(...elementIds: string[]) {
  setTimeout(() => {
    for (const id of elementIds) {
      const element = document.getElementById(id);
      if (element) return element.focus();
    }
  }, 0);
}
