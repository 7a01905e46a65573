// What every browser scenario shares (docs/storefront.md, "Browser tests").
//
// A scenario is one file, `node e2e/<name>.mjs`, started by one pytest test
// (tests/storefront/) against a real `shopgraph serve`. It reads its environment:
//   STOREFRONT_URL   the server, e.g. http://127.0.0.1:41234 (required)
//   SCREENSHOT_DIR   where `screenshot()` writes the PNGs the docs show (required)
//   E2E_OUTPUT_DIR   where a failing scenario leaves a screenshot of each open page
//   ADMIN_EMAIL, ADMIN_PASSWORD, CUSTOMER_EMAIL, CUSTOMER_PASSWORD   the demo accounts
// and whatever else its test passes. It prints what it does (`step`), and what the test
// should check in the database (`result`: a line `RESULT {json}`); it exits 1 on failure.
//
// Chromium is Debian's, /usr/bin/chromium, driven by playwright-core: no browser is
// downloaded, and a page that asks for anything outside the store fails the scenario.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const VIEWPORT = { width: 1280, height: 900 };
/** How long an action or a wait may take unless told otherwise. */
export const TIMEOUT_MS = 10_000;

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this scenario from its pytest test`);
  return value;
}

export const BASE_URL = env("STOREFRONT_URL");
const started = Date.now();

/** A line of the scenario's log, with the seconds since it started. */
export function step(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(2)} s] ${message}`);
}

/** Values for the pytest test to check: printed as `RESULT {json}`, merged by the test. */
export function result(values) {
  console.log(`RESULT ${JSON.stringify(values)}`);
}

function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives every launch a fresh, temporary profile (user data dir).
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Runs `body({ browser, context, page, newContext, allowConsoleErrors })` in a fresh
 * browser. `newContext()` opens another shopper (its own storage); `context.newPage()`
 * another tab of the same one. The scenario fails if `body` throws, or if a page threw,
 * logged an error to the console (unless allowed by a pattern) or asked for a URL
 * outside the store. On failure each open page is saved to E2E_OUTPUT_DIR.
 */
export async function scenario(name, body) {
  const problems = [];
  const allowed = [];
  const browser = await launch();
  const contexts = [];
  const newContext = async () => {
    const context = await openContext(browser, problems, allowed);
    contexts.push(context);
    return context;
  };
  try {
    const context = await newContext();
    const page = await context.newPage();
    await body({
      browser,
      context,
      page,
      newContext,
      allowConsoleErrors: (pattern) => allowed.push(pattern),
    });
    if (problems.length) {
      throw new Error(`the pages reported problems:\n  ${problems.join("\n  ")}`);
    }
    step(`PASSED ${name}`);
  } catch (error) {
    process.exitCode = 1;
    console.error(`FAILED ${name}: ${error?.stack ?? error}`);
    if (problems.length) console.error(`the pages reported:\n  ${problems.join("\n  ")}`);
    await saveFailure(name, contexts);
  } finally {
    await browser.close();
  }
}

async function openContext(browser, problems, allowed) {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    baseURL: BASE_URL,
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  const origin = new URL(BASE_URL).origin;
  context.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("data:") && new URL(url).origin !== origin) {
      problems.push(`asked for a URL outside the store: ${url}`);
    }
  });
  context.on("weberror", (error) => problems.push(`uncaught in the page: ${error.error()}`));
  context.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url ?? "";
    // The browser asks for /favicon.ico by itself; the store has none.
    if (where.endsWith("/favicon.ico")) return;
    const text = `${message.text()} (${where})`;
    if (!allowed.some((pattern) => pattern.test(text))) problems.push(`console error: ${text}`);
  });
  return context;
}

async function saveFailure(name, contexts) {
  const dir = process.env.E2E_OUTPUT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  let index = 0;
  for (const context of contexts) {
    for (const page of context.pages()) {
      index += 1;
      const path = join(dir, `${name}-failure-${index}.png`);
      try {
        await page.screenshot({ path, fullPage: true, timeout: 5_000 });
        console.error(`page ${index} (${page.url()}) at the failure: ${path}`);
      } catch {
        // A page that cannot be drawn any more has nothing to show.
      }
    }
  }
}

/** Saves the page as SCREENSHOT_DIR/<name>.png (the viewport; `fullPage` for all of it),
 * once the images it shows have loaded. */
export async function screenshot(page, name, { fullPage = false } = {}) {
  const dir = env("SCREENSHOT_DIR");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.waitForFunction((whole) => {
    const shown = [...document.images].filter((image) => {
      if (image.getClientRects().length === 0) return false; // not drawn (display: none)
      const box = image.getBoundingClientRect();
      return whole ? image.loading !== "lazy" : box.bottom >= 0 && box.top < window.innerHeight;
    });
    return shown.every((image) => image.complete);
  }, fullPage);
  await page.screenshot({ path, fullPage, animations: "disabled" });
  step(`screenshot ${path}`);
  return path;
}

// --- finding things as a shopper does: by headings, labels, button names and text ---------

/** The page's h1, once it says `name` exactly. */
export async function heading(page, name, { timeout } = {}) {
  const h1 = page.getByRole("heading", { level: 1, name, exact: true });
  await h1.waitFor({ state: "visible", timeout });
  return h1;
}

/** Fills the input whose label is `label` (exactly). */
export async function fillLabel(page, label, value) {
  await page.getByLabel(label, { exact: true }).fill(value);
}

/** Clicks the button named `name` (exactly). */
export async function press(page, name) {
  await page.getByRole("button", { name, exact: true }).click();
}

/** Waits until `text` shows somewhere on the page (a substring; a RegExp for more). */
export async function waitForText(page, text, { timeout } = {}) {
  const found = page.getByText(text).first();
  await found.waitFor({ state: "visible", timeout });
  return found;
}

// --- the API, as the test's own client (not the page's) -----------------------------------

/** One GraphQL request to the store's API; the whole JSON body. */
export async function graphql(query, variables = {}, { token } = {}) {
  const response = await fetch(new URL("/graphql", BASE_URL), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** Logs in through the API; the access token. */
export async function logIn(email, password) {
  const body = await graphql(
    `
      mutation E2ELogin($email: String!, $password: String!) {
        login(email: $email, password: $password) {
          accessToken
          userErrors {
            field
            message
          }
        }
      }
    `,
    { email, password },
  );
  const login = body.data?.login;
  if (!login?.accessToken) throw new Error(`login of ${email} failed: ${JSON.stringify(body)}`);
  return login.accessToken;
}

let adminToken;

/** A request as the demo admin (ADMIN_EMAIL, ADMIN_PASSWORD), e.g. `adjustStock` in the
 * middle of a scenario; its `data`. GraphQL errors and non-empty `userErrors` throw. */
export async function admin(query, variables = {}) {
  adminToken ??= await logIn(env("ADMIN_EMAIL"), env("ADMIN_PASSWORD"));
  const body = await graphql(query, variables, { token: adminToken });
  if (body.errors?.length) throw new Error(`admin request failed: ${JSON.stringify(body.errors)}`);
  for (const payload of Object.values(body.data ?? {})) {
    if (payload?.userErrors?.length) {
      throw new Error(`admin request refused: ${JSON.stringify(payload.userErrors)}`);
    }
  }
  return body.data;
}

// --- accessibility ------------------------------------------------------------------------

const AXE_SOURCE = readFileSync(
  new URL("../node_modules/axe-core/axe.min.js", import.meta.url),
  "utf8",
);

/**
 * Checks the page as it is now with axe-core (WCAG 2.1 A and AA rules) and fails on any
 * violation: missing labels or names, contrast, landmarks, ARIA misuse. axe is evaluated
 * through the browser's debugging protocol, so the page's own Content-Security-Policy,
 * which refuses any script but its own, still holds for the page itself.
 */
export async function checkAccessibility(page, what) {
  await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const results = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
    }));
  });
  if (found.length) {
    throw new Error(`accessibility problems on ${what}:\n${JSON.stringify(found, null, 2)}`);
  }
  step(`accessibility: no problems on ${what}`);
}
