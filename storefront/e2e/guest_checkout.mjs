// A guest buys two sizes of one boot with the code TEN and sees the confirmation with its
// totals. Run by tests/storefront/test_guest_checkout.py, which then finds the order and
// its email.
import {
  env,
  fillLabel,
  heading,
  press,
  result,
  scenario,
  screenshot,
  step,
  waitForText,
  checkAccessibility,
} from "./helpers.mjs";
import { addToCart, fillCheckout, placeOrder } from "./shopper.mjs";

const SKU = env("PRODUCT_SKU");
const EMAIL = env("GUEST_EMAIL");

await scenario("guest_checkout", async ({ page }) => {
  await page.goto("/");
  await heading(page, "Shop");
  await addToCart(page, SKU, ["40"], 1);
  await screenshot(page, "product");
  await addToCart(page, SKU, ["41"], 2);

  step("the cart holds both sizes");
  await page.getByRole("link", { name: /^Cart/ }).click();
  await heading(page, "Your cart");
  await page.getByLabel(/^Quantity for .* 40$/).waitFor();
  await page.getByLabel(/^Quantity for .* 41$/).waitFor();
  await screenshot(page, "cart");
  await checkAccessibility(page, "the cart");
  await page.getByRole("link", { name: "Checkout", exact: true }).click();

  step("checkout as a guest, with the code TEN");
  await fillCheckout(page, { email: EMAIL });
  await fillLabel(page, "Discount code", "ten");
  await press(page, "Apply");
  await waitForText(page, "Code TEN applied");
  await screenshot(page, "checkout", { fullPage: true });
  await checkAccessibility(page, "the checkout");
  const number = await placeOrder(page, "tok_visa");

  step(`order ${number}: the confirmation shows its totals`);
  await waitForText(page, "Thank you — your order is placed.");
  await waitForText(page, `A confirmation email is on its way to ${EMAIL}.`);
  const totals = page.getByRole("region", { name: "Totals" });
  const shown = {};
  for (const label of ["Subtotal", "Shipping", "Tax", "Discount (TEN)", "Total"]) {
    const row = totals
      .locator("div")
      .filter({ has: page.getByRole("term").getByText(label, { exact: true }) });
    shown[label] = (await row.getByRole("definition").textContent()).trim();
  }
  step(`totals shown: ${JSON.stringify(shown)}`);
  await screenshot(page, "order-confirmation", { fullPage: true });
  await checkAccessibility(page, "the order confirmation");
  result({ number, totals: shown });
});
