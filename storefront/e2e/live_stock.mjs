// With a product's page and the catalog open, an admin changes the product's stock from
// another client: both badges and the "Add to cart" button follow within 2 s, without a
// reload. Run by tests/storefront/test_live_stock.py.
import { admin, env, heading, result, scenario, screenshot, step } from "./helpers.mjs";

const SKU = env("PRODUCT_SKU");
const WITHIN_MS = 2_000;

await scenario("live_stock", async ({ context, page }) => {
  const { product } = await admin(
    `query LiveStockProduct($sku: String!) {
    product(sku: $sku) { id name stock }
  }`,
    { sku: SKU },
  );
  let stock = product.stock;

  await page.goto(`/products/${encodeURIComponent(SKU)}`);
  await heading(page, product.name);
  const addToCart = page.getByRole("button", { name: "Add to cart", exact: true });
  await page.getByText("In stock", { exact: true }).waitFor();
  if (!(await addToCart.isEnabled())) throw new Error("Add to cart is disabled while in stock");

  const catalog = await context.newPage();
  await catalog.goto(`/?q=${encodeURIComponent(product.name)}`);
  await heading(catalog, "Shop");
  const card = catalog.locator("article.product-card", { hasText: product.name });
  await card.getByText("In stock", { exact: true }).waitFor();

  const seconds = {};
  /** Sets the stock to `target` as the admin; the time until both pages show `badge`. */
  async function change(target, badge) {
    const started = Date.now();
    await admin(
      `mutation LiveStockAdjust($id: ID!, $delta: Int!) {
      adjustStock(productId: $id, delta: $delta, reason: "browser test") { userErrors { message } }
    }`,
      { id: product.id, delta: target - stock },
    );
    stock = target;
    const left = () => Math.max(WITHIN_MS - (Date.now() - started), 1);
    await page.getByText(badge, { exact: true }).waitFor({ timeout: left() });
    await card.getByText(badge, { exact: true }).waitFor({ timeout: left() });
    seconds[target] = (Date.now() - started) / 1000;
    step(`stock ${target}: both pages show "${badge}" after ${seconds[target]} s`);
  }

  await change(2, "Only 2 left");
  await screenshot(page, "live-stock");
  await change(0, "Sold out");
  await page.waitForFunction(
    () => {
      const button = [...document.querySelectorAll("button")].find(
        (b) => b.textContent === "Add to cart",
      );
      return button?.disabled;
    },
    null,
    { timeout: WITHIN_MS },
  );
  await change(7, "In stock");
  if (!(await addToCart.isEnabled())) throw new Error("Add to cart stays disabled after a restock");
  result({ seconds, finalStock: stock });
});
