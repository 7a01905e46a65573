import { usePageTitle } from "../lib/usePageTitle";

export function CartPage() {
  usePageTitle("CartPage");
  return <h1>CartPage</h1>;
}
