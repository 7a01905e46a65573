import { usePageTitle } from "../lib/usePageTitle";

export function CatalogPage() {
  usePageTitle("CatalogPage");
  return <h1>CatalogPage</h1>;
}
