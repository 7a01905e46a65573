import type { UserError } from "../lib/userErrors";

/** The parts of the checkout page a "Place order" error belongs to. */
export type Section = "contact" | "address" | "shipping" | "discount" | "summary" | "payment";

export const SECTION_NAMES: Record<Section, string> = {
  contact: "Contact",
  address: "Shipping address",
  shipping: "Shipping method",
  discount: "Discount",
  summary: "Order summary",
  payment: "Payment",
};

export const SECTION_IDS: Record<Section, string> = {
  contact: "checkout-contact",
  address: "checkout-address",
  shipping: "checkout-shipping",
  discount: "checkout-discount",
  summary: "checkout-summary",
  payment: "checkout-payment",
};

const SECTION_OF_CODE: Record<string, Section> = {
  EMAIL_REQUIRED: "contact",
  SHIPPING_ADDRESS_REQUIRED: "address",
  SHIPPING_METHOD_REQUIRED: "shipping",
  DISCOUNT_CODE_INVALID: "discount",
  DISCOUNT_CODE_EXHAUSTED: "discount",
  OUT_OF_STOCK: "summary",
  NOT_FOUND: "summary",
  CART_EMPTY: "summary",
};

/** The server's messages name the API's mutations; these say what the shopper does. */
const SHOPPER_TEXT: Record<string, string> = {
  EMAIL_REQUIRED: "Enter your email address for the order confirmation.",
  SHIPPING_ADDRESS_REQUIRED: "Enter your shipping address and save it.",
  SHIPPING_METHOD_REQUIRED: "Choose a shipping method.",
  CART_EMPTY: "Your cart is empty.",
};

export type PlacedError = { section: Section; message: string };

/** Each error of a refused checkout, with the section it is shown beside. */
export function placeErrors(errors: readonly UserError[]): PlacedError[] {
  return errors.map((error) => ({
    section: SECTION_OF_CODE[error.code] ?? "payment",
    message: SHOPPER_TEXT[error.code] ?? error.message,
  }));
}

export function messagesFor(errors: readonly PlacedError[], section: Section): string[] {
  return errors.filter((error) => error.section === section).map((error) => error.message);
}
