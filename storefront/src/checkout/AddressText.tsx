import { type FragmentType, graphql, readFragment } from "../gql";
import { countryName } from "./countries";

export const AddressTextFragment = graphql(`
  fragment AddressText_address on Address {
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

/** Countries that write the postal code before the city ("10115 Berlin"). */
const CODE_FIRST = new Set([
  "AT",
  "BE",
  "CH",
  "DE",
  "DK",
  "ES",
  "FI",
  "FR",
  "IT",
  "NL",
  "NO",
  "PT",
  "SE",
]);

type AddressValue = {
  firstName: string;
  lastName: string;
  company?: string | null;
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postalCode: string;
  country: string;
  phone?: string | null;
};

/** An address in the lines a label has: name, company, street, place, country, phone. */
export function addressLines(address: AddressValue): string[] {
  const place = CODE_FIRST.has(address.country)
    ? [address.postalCode, address.city, address.region].filter(Boolean).join(" ")
    : [address.city, [address.region, address.postalCode].filter(Boolean).join(" ")]
        .filter(Boolean)
        .join(", ");
  return [
    `${address.firstName} ${address.lastName}`,
    address.company,
    address.line1,
    address.line2,
    place,
    countryName(address.country),
    address.phone,
  ].filter((line): line is string => !!line);
}

export function AddressText(props: { address: FragmentType<typeof AddressTextFragment> }) {
  const address = readFragment(AddressTextFragment, props.address);
  return (
    <address className="address-text">
      {addressLines(address).map((line, index) => (
        <span key={index}>{line}</span>
      ))}
    </address>
  );
}
