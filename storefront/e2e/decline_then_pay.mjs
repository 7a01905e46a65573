// A guest's card is declined at checkout: the order page says so clearly, and the same
// order is paid with another card. Run by tests/storefront/test_decline_then_pay.py.
import {
  env,
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

await scenario("decline_then_pay", async ({ page }) => {
  await addToCart(page, SKU, [], 1);
  await page.goto("/checkout");
  await fillCheckout(page, { email: EMAIL });
  const number = await placeOrder(page, "tok_chargeDeclined");

  step(`order ${number}: declined`);
  const alert = page.getByRole("alert").filter({ hasText: "Your card was declined." });
  await alert.waitFor();
  await screenshot(page, "payment-declined", { fullPage: true });
  await checkAccessibility(page, "a declined order");

  step("pay again with a card that pays");
  await page.getByLabel("Test card", { exact: true }).selectOption("tok_visa");
  await press(page, "Pay now");
  await waitForText(page, "Payment received.");
  await page.locator('[data-status="PAID"]').waitFor();
  await heading(page, `Order ${number}`);
  result({ number });
});
