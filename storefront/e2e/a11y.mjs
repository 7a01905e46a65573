// Every main page passes axe-core's WCAG 2.1 A and AA rules, at desktop and phone widths.
// Run by tests/storefront/test_accessibility.py.
import { checkAccessibility, env, heading, result, scenario, step } from "./helpers.mjs";

const PAGES = [
  ["/", "Shop"],
  [`/products/${encodeURIComponent(env("PRODUCT_SKU"))}`, env("PRODUCT_NAME")],
  ["/cart", "Your cart"],
  ["/login", "Sign in"],
  ["/register", "Create an account"],
  ["/reset-password", "Reset your password"],
  ["/no-such-page", "Page not found"],
];

await scenario("a11y", async ({ page }) => {
  const checked = [];
  for (const viewport of [
    { width: 1280, height: 900 },
    { width: 375, height: 812 },
  ]) {
    await page.setViewportSize(viewport);
    for (const [path, title] of PAGES) {
      step(`${path} at ${viewport.width} px`);
      await page.goto(path);
      await heading(page, title);
      await page.waitForLoadState("networkidle");
      await checkAccessibility(page, `${path} at ${viewport.width} px`);
      checked.push(`${path}@${viewport.width}`);
    }
  }
  result({ checked });
});
