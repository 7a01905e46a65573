import { useEffect } from "react";

/** Names the page in the tab and for screen readers, and moves focus to its heading after
 * a navigation, as a full page load would. */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    if (!title) return;
    document.title = `${title} · Shopgraph store`;
    const heading = document.querySelector<HTMLElement>("main h1");
    if (heading && document.activeElement === document.body) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }, [title]);
}
