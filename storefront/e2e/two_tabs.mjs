// A guest with no cart yet adds two products at the same moment, from two tabs: both land
// in one cart. Run by tests/storefront/test_two_tabs.py.
import { env, heading, result, scenario, step, waitForText } from "./helpers.mjs";

const SKUS = [env("FIRST_SKU"), env("SECOND_SKU")];

await scenario("two_tabs", async ({ context, page }) => {
  const tabs = [page, await context.newPage()];
  await Promise.all(
    tabs.map(async (tab, index) => {
      await tab.goto(`/products/${encodeURIComponent(SKUS[index])}`);
      await tab.getByRole("button", { name: "Add to cart", exact: true }).waitFor();
    }),
  );
  // The store answers the first addition slowly: until the other tab's addition arrives
  // too, or 1.5 s. A browser that sends both at once, each starting a cart, makes two.
  let arrived;
  const second = new Promise((resolve) => (arrived = resolve));
  let additions = 0;
  const slowFirstAddition = async (route) => {
    const body = route.request().postData() ?? "";
    const name = body.match(/mutation (CartCreate|CartLinesAdd)\b/)?.[1];
    if (!name) return route.fallback();
    additions += 1;
    step(`addition ${additions} sent: ${name}`);
    if (additions === 1) await Promise.race([second, new Promise((r) => setTimeout(r, 1_500))]);
    else arrived();
    return route.fallback();
  };
  for (const tab of tabs) await tab.route("**/graphql", slowFirstAddition);
  step("both tabs press Add to cart at once");
  await Promise.all(
    // Clicks as DOM events: a background tab takes input events only once it draws.
    tabs.map((tab) =>
      tab.getByRole("button", { name: "Add to cart", exact: true }).dispatchEvent("click"),
    ),
  );
  await Promise.all(tabs.map((tab) => waitForText(tab, "Added to cart")));

  await page.goto("/cart");
  await heading(page, "Your cart");
  await page
    .getByLabel(/^Quantity for /)
    .first()
    .waitFor();
  const lines = await page.getByLabel(/^Quantity for /).count();
  step(`the cart shows ${lines} lines`);
  if (lines !== 2) throw new Error(`the cart shows ${lines} lines, not 2`);
  result({ lines });
});
