/**
 * The countries the checkout offers. The store's shipping methods are for admins to read
 * (`shippingMethods` is admin-only), so the list is the demo store's: Standard ships to
 * the US, Canada and these European countries, Express to the US and Canada. A cart whose
 * address is elsewhere (e.g. a saved address) still shows its own country in the list.
 */
export const SHIPPING_COUNTRIES = [
  "US",
  "CA",
  "AT",
  "BE",
  "CH",
  "DE",
  "DK",
  "ES",
  "FI",
  "FR",
  "GB",
  "IE",
  "IT",
  "NL",
  "NO",
  "PT",
  "SE",
] as const;

const names =
  typeof Intl.DisplayNames === "function"
    ? new Intl.DisplayNames(["en"], { type: "region" })
    : null;

/** "Germany" for "DE"; the code itself where the browser has no names. */
export function countryName(code: string): string {
  try {
    return names?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** The countries to offer, the given ones (e.g. the cart's) first if not in the list. */
export function countryOptions(extra: readonly (string | null | undefined)[] = []): string[] {
  const known = new Set<string>(SHIPPING_COUNTRIES);
  const others = extra.filter((code): code is string => !!code && !known.has(code.toUpperCase()));
  return [...SHIPPING_COUNTRIES, ...new Set(others.map((code) => code.toUpperCase()))];
}
