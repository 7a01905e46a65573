import { useEffect } from "react";
import { useLocation } from "react-router";

/** The address whose page was last announced; null until the first page has shown. */
let shownPath: string | null = null;

/** Names the page in the tab and for screen readers. After each client-side navigation to
 * another address (a link, Back, a redirect) it moves the focus to the new page's h1, as a
 * full page load would start reading there; the link that was followed would otherwise
 * keep it. The first page of a visit is left to the browser, and so is a change of the
 * query alone (the catalog's filters), where the shopper is still at work on the page.
 * A page without its title yet (still loading) passes undefined, and is announced once
 * it has one. */
export function usePageTitle(title: string | undefined): void {
  const { pathname } = useLocation();
  useEffect(() => {
    if (!title) return;
    document.title = `${title} · Shopgraph store`;
    const heading = document.querySelector<HTMLElement>("main h1");
    if (!heading || shownPath === pathname) return;
    const first = shownPath === null;
    shownPath = pathname;
    if (first) return;
    heading.tabIndex = -1;
    heading.focus();
  }, [title, pathname]);
}
