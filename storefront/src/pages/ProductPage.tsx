import { usePageTitle } from "../lib/usePageTitle";

export function ProductPage() {
  usePageTitle("ProductPage");
  return <h1>ProductPage</h1>;
}
