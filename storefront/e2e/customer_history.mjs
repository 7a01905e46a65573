// A shopper fills a cart as a guest, signs in as the demo customer, keeps the cart, and
// finds an earlier order in their history. Reloads keep the session, even when the store
// fails to answer the first refresh, and hand the cart over only once.
// Run by tests/storefront/test_customer_history.py.
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

await scenario("customer_history", async ({ page, allowConsoleErrors }) => {
  const operations = [];
  page.on("request", (request) => {
    const name = request.postDataJSON?.()?.query?.match(/^\s*(?:query|mutation)\s+(\w+)/)?.[1];
    if (name) operations.push(name);
  });
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

  step("a reload whose first refresh meets a failing proxy stays signed in");
  allowConsoleErrors(/502/);
  let failed = 0;
  await page.route("**/graphql", async (route) => {
    if (failed === 0 && route.request().postData()?.includes("mutation Refresh")) {
      failed += 1;
      return route.fulfill({ status: 502, contentType: "text/html", body: "<h1>Bad gateway</h1>" });
    }
    return route.fallback();
  });
  await page.reload();
  await heading(page, `Order ${ORDER}`, { timeout: 15_000 });
  await page.getByRole("link", { name: "Account", exact: true }).waitFor();
  if (failed !== 1) throw new Error(`the refresh was failed ${failed} times, not once`);
  await page.unroute("**/graphql");

  const handedOver = operations.filter((name) => name === "CartAssignToMe").length;
  step(`operations sent: ${operations.length}; the cart was handed over ${handedOver} time(s)`);
  if (handedOver !== 1) throw new Error(`CartAssignToMe was sent ${handedOver} times, not once`);
  result({ signedIn: true });
});
