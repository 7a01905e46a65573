import { type FragmentType, graphql, readFragment } from "../gql";
import { errorFor } from "../lib/userErrors";
import type { UserError } from "../lib/userErrors";
import { countryName, countryOptions } from "./countries";

/** An address as the form holds it: every field a string. */
export type AddressDraft = {
  firstName: string;
  lastName: string;
  company: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  phone: string;
};

export const EMPTY_ADDRESS: AddressDraft = {
  firstName: "",
  lastName: "",
  company: "",
  line1: "",
  line2: "",
  city: "",
  region: "",
  postalCode: "",
  country: "US",
  phone: "",
};

/** A draft from an address the API sent (null fields become empty). */
/** An address's fields as the form edits them, and as a saved address's summary shows them. */
export const AddressFieldsFragment = graphql(`
  fragment AddressFields_address on Address {
    firstName
    lastName
    company
    line1
    line2
    city
    region
    postalCode
    country
    phone
  }
`);

/** The fields of an address, read through its fragment. */
export function addressFieldsOf(address: FragmentType<typeof AddressFieldsFragment>) {
  return readFragment(AddressFieldsFragment, address);
}

export function draftOf(
  address: FragmentType<typeof AddressFieldsFragment> | null | undefined,
): AddressDraft {
  if (!address) return EMPTY_ADDRESS;
  const fields = addressFieldsOf(address);
  const draft = { ...EMPTY_ADDRESS };
  for (const key of Object.keys(EMPTY_ADDRESS) as (keyof AddressDraft)[])
    draft[key] = fields[key] ?? "";
  return draft;
}

type FieldSpec = {
  name: keyof AddressDraft;
  label: string;
  autoComplete: string;
  required: boolean;
  wide?: boolean;
  type?: string;
};

const FIELDS: FieldSpec[] = [
  { name: "firstName", label: "First name", autoComplete: "given-name", required: true },
  { name: "lastName", label: "Last name", autoComplete: "family-name", required: true },
  { name: "company", label: "Company", autoComplete: "organization", required: false, wide: true },
  { name: "line1", label: "Address", autoComplete: "address-line1", required: true, wide: true },
  {
    name: "line2",
    label: "Address line 2",
    autoComplete: "address-line2",
    required: false,
    wide: true,
  },
  { name: "city", label: "City", autoComplete: "address-level2", required: true },
  { name: "region", label: "Region", autoComplete: "address-level1", required: false },
  { name: "postalCode", label: "Postal code", autoComplete: "postal-code", required: true },
  { name: "country", label: "Country", autoComplete: "country", required: true },
  { name: "phone", label: "Phone", autoComplete: "tel", required: false, type: "tel" },
];

/** The fields of a postal address, each with its label and the API's message for it. */
export function AddressFields(props: {
  idPrefix: string;
  value: AddressDraft;
  onChange: (value: AddressDraft) => void;
  errors: readonly UserError[];
}) {
  const { idPrefix, value } = props;
  const countries = countryOptions([value.country]);
  return (
    <div className="address-fields">
      {FIELDS.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const error = errorFor(props.errors, field.name);
        const described = [error ? `${id}-error` : null, field.required ? null : `${id}-optional`]
          .filter(Boolean)
          .join(" ");
        const common = {
          id,
          name: field.name,
          autoComplete: field.autoComplete,
          "aria-required": field.required || undefined,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": described || undefined,
        };
        return (
          <div key={field.name} className={`field${field.wide ? " field-wide" : ""}`}>
            <div className="label-row">
              <label htmlFor={id}>{field.label}</label>
              {!field.required && (
                <span className="muted" id={`${id}-optional`}>
                  optional
                </span>
              )}
            </div>
            {field.name === "country" ? (
              <select
                {...common}
                value={value.country}
                onChange={(event) => props.onChange({ ...value, country: event.target.value })}
              >
                {countries.map((code) => (
                  <option key={code} value={code}>
                    {countryName(code)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                {...common}
                type={field.type ?? "text"}
                value={value[field.name]}
                onChange={(event) => props.onChange({ ...value, [field.name]: event.target.value })}
              />
            )}
            {error && (
              <p className="field-error" id={`${id}-error`}>
                {error}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** The draft as the API takes it: empty optional fields left out. */
export function addressInput(draft: AddressDraft) {
  const input: Partial<AddressDraft> = {};
  for (const key of Object.keys(draft) as (keyof AddressDraft)[]) {
    const trimmed = draft[key].trim();
    if (trimmed) input[key] = trimmed;
  }
  return input;
}
