// A shopper fills a cart as a guest, signs in as the demo customer, keeps the cart, and
// finds an earlier order in their history. Run by tests/storefront/test_customer_history.py.
import {
  env,
  fillLabel,
  heading,
  press,
  result,
  scenario,
  screenshot,
  step,
  checkAccessibility,
} from "./helpers.mjs";
import { addToCart } from "./shopper.mjs";

const SKU = env("PRODUCT_SKU");
const ORDER = env("ORDER_NUMBER");

await scenario("customer_history", async ({ page }) => {
  await addToCart(page, SKU, [], 2);

  step("sign in");
  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await heading(page, "Sign in");
  await fillLabel(page, "Email", env("CUSTOMER_EMAIL"));
  await fillLabel(page, "Password", env("CUSTOMER_PASSWORD"));
  await press(page, "Sign in");
  await heading(page, "Your account");

  step(`order ${ORDER} is in the history`);
  const link = page.getByRole("link", { name: `Order ${ORDER}`, exact: true });
  await link.waitFor();
  await page.getByRole("link", { name: /^Cart/ }).getByText("2", { exact: true }).waitFor();
  await screenshot(page, "account");
  await checkAccessibility(page, "the account page");
  await link.press("Enter"); // as a keyboard user opens it
  await heading(page, `Order ${ORDER}`);

  step("a reload keeps the session (the refresh token), the order and the cart");
  await page.reload();
  await heading(page, `Order ${ORDER}`);
  await page.getByRole("link", { name: /^Cart/ }).getByText("2", { exact: true }).waitFor();
  result({ signedIn: true });
});
