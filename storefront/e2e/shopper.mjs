// Steps a shopper takes on several pages, shared by the scenarios.
import { fillLabel, heading, press, step, waitForText } from "./helpers.mjs";

/** Opens a product's page and adds `quantity` of the variant whose option values are
 * `values` (radio names, e.g. ["41"]; none for a product without options). */
export async function addToCart(page, sku, values, quantity = 1) {
  step(`add ${quantity} × ${sku} ${values.join(" / ")}`);
  await page.goto(`/products/${encodeURIComponent(sku)}`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  for (const value of values) {
    await page.getByRole("radio", { name: value, exact: true }).check();
  }
  await fillLabel(page, "Quantity", String(quantity));
  await press(page, "Add to cart");
  await waitForText(page, "Added to cart");
}

/** A US address the demo ships to by Standard and Express. */
export const ADDRESS = {
  "First name": "Ada",
  "Last name": "Lovelace",
  Address: "1 Analytical Way",
  City: "Portland",
  Region: "ME",
  "Postal code": "04101",
};

/** On the checkout page: the guest's email, the address, and a shipping method. */
export async function fillCheckout(page, { email, shipping = "Standard" }) {
  await heading(page, "Checkout");
  if (email) {
    await fillLabel(page, "Email", email);
    await page.getByLabel("Email", { exact: true }).press("Enter");
    await waitForText(page, "Email saved.");
  }
  for (const [label, value] of Object.entries(ADDRESS)) await fillLabel(page, label, value);
  await page.getByLabel("Country", { exact: true }).selectOption("US");
  await press(page, "Save address");
  await page.getByRole("button", { name: "Change address", exact: true }).waitFor();
  await page.getByLabel(shipping).check();
  await page.getByLabel(shipping).isChecked();
}

/** Chooses a test card and places the order; resolves on the order page's heading. */
export async function placeOrder(page, card) {
  await page.getByLabel("Test card", { exact: true }).selectOption(card);
  await press(page, "Place order");
  await heading(page, /^Order \d+$/, { timeout: 15_000 });
  const title = await page.getByRole("heading", { level: 1 }).textContent();
  return Number(title.replace("Order ", ""));
}
