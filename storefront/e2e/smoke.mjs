// The store opens: the catalog at / shows its heading and product cards, and a page of
// the app (/cart) loads on a direct visit, as from a bookmark. Run by
// tests/storefront/test_smoke.py.
import { VIEWPORT, heading, result, scenario, screenshot, step } from "./helpers.mjs";

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
  step("the same page on a phone: no sideways scrolling");
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  if (overflow > 0) throw new Error(`the catalog is ${overflow} px wider than a phone`);
  await screenshot(page, "catalog-phone");
  await page.setViewportSize(VIEWPORT);

  step("open /cart directly");
  const cart = await page.goto("/cart");
  if (cart?.status() !== 200) throw new Error(`/cart answered ${cart?.status()}`);
  await heading(page, "Your cart");
  result({ skus, cartTitle: await page.title() });
});
