import { useSearchParams } from "react-router";

/** Pages that make no sense to come back to once signed in. */
const ACCOUNT_FORMS = new Set(["/login", "/register", "/reset-password"]);

/** The same-site path in `raw` (a `?next=` value), or null when it is missing or could
 * lead anywhere else: it must start with one "/" (not "//", not "/\", which browsers read
 * as another host), hold no control characters, and resolve to this origin. */
export function safeNextPath(raw: string | null): string | null {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return null;
  if (/[\u0000-\u001f\u007f]/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, window.location.origin);
  } catch {
    return null;
  }
  if (url.origin !== window.location.origin || ACCOUNT_FORMS.has(url.pathname)) return null;
  return url.pathname + url.search + url.hash;
}

/** Where the shopper came from (`?next=`), if it is safe to send them back there. */
export function useNextPath(): string | null {
  const [params] = useSearchParams();
  return safeNextPath(params.get("next"));
}

/** `path` carrying the `next` destination along, e.g. from sign-in to registration. */
export function withNext(path: string, next: string | null): string {
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}
