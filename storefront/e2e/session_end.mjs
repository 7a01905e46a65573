// A signed-in shopper watches a product while their session is ended from another device
// (a password change). The server closes the page's socket with 4403; the page finds its
// refresh token refused, shows the shopper signed out, reconnects as a guest and keeps
// showing the product's stock live, a change made meanwhile included.
// Run by tests/storefront/test_session_end.py.
import {
  admin,
  env,
  fillLabel,
  graphql,
  heading,
  press,
  result,
  scenario,
  step,
} from "./helpers.mjs";

const SKU = env("PRODUCT_SKU");
const EMAIL = env("SHOPPER_EMAIL");
const PASSWORD = env("SHOPPER_PASSWORD");
const WITHIN_MS = 2_000;

await scenario("session_end", async ({ page }) => {
  const registered = await graphql(
    `
      mutation SessionEndRegister($input: RegisterInput!) {
        register(input: $input) {
          accessToken
          userErrors {
            message
          }
        }
      }
    `,
    { input: { email: EMAIL, password: PASSWORD, name: "Session Ender" } },
  );
  const elsewhere = registered.data?.register?.accessToken;
  if (!elsewhere) throw new Error(`registering failed: ${JSON.stringify(registered)}`);

  await page.goto("/login");
  await fillLabel(page, "Email", EMAIL);
  await fillLabel(page, "Password", PASSWORD);
  await press(page, "Sign in");
  await heading(page, "Your account");

  const { product } = await admin(
    `query SessionEndProduct($sku: String!) { product(sku: $sku) { id name stock } }`,
    { sku: SKU },
  );
  await page.goto(`/products/${encodeURIComponent(SKU)}`);
  await heading(page, product.name);
  await page.getByText("In stock", { exact: true }).waitFor();
  const adjust = (delta) =>
    admin(
      `mutation SessionEndAdjust($id: ID!, $delta: Int!) {
        adjustStock(productId: $id, delta: $delta, reason: "browser test") { userErrors { message } }
      }`,
      { id: product.id, delta },
    );

  step("end the page's session from another device, and change the stock at once");
  const changed = await graphql(
    `
      mutation SessionEndPassword($current: String!, $next: String!) {
        changePassword(currentPassword: $current, newPassword: $next) {
          userErrors {
            message
          }
        }
      }
    `,
    { current: PASSWORD, next: `${PASSWORD}-changed` },
    { token: elsewhere },
  );
  if (changed.errors || changed.data.changePassword.userErrors.length) {
    throw new Error(`changePassword failed: ${JSON.stringify(changed)}`);
  }
  await adjust(3 - product.stock);
  await page.getByText("Only 3 left", { exact: true }).waitFor();

  step("the page learns its session ended and shows the shopper signed out");
  await page.getByRole("link", { name: "Sign in", exact: true }).waitFor();

  step("stock stays live over the new socket");
  const started = Date.now();
  await adjust(-1);
  await page.getByText("Only 2 left", { exact: true }).waitFor({ timeout: WITHIN_MS });
  result({ seconds: (Date.now() - started) / 1000, finalStock: 2 });
});
