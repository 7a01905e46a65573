// The store opens: the catalog at / shows its heading and product cards, and a page of
// the app (/cart) loads on a direct visit, as from a bookmark. Run by
// tests/storefront/test_smoke.py.
import { heading, result, scenario, screenshot, step } from "./helpers.mjs";

await scenario("smoke", async ({ page }) => {
  step("open /");
  const response = await page.goto("/");
  if (response?.status() !== 200) throw new Error(`/ answered ${response?.status()}`);
  await heading(page, "Shop");
  // A product card links to its product's page.
  const cards = page.locator('main a[href^="/products/"]');
  await cards.first().waitFor({ state: "visible" });
  const paths = await cards.evaluateAll((links) => links.map((a) => a.pathname));
  const skus = [...new Set(paths)].map((path) => decodeURIComponent(path.split("/")[2]));
  step(`the catalog shows ${skus.length} products: ${skus.join(", ")}`);
  await screenshot(page, "catalog");

  step("open /cart directly");
  const cart = await page.goto("/cart");
  if (cart?.status() !== 200) throw new Error(`/cart answered ${cart?.status()}`);
  await heading(page, "Your cart");
  result({ skus, cartTitle: await page.title() });
});
