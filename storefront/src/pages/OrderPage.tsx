import { usePageTitle } from "../lib/usePageTitle";

export function OrderPage() {
  usePageTitle("OrderPage");
  return <h1>OrderPage</h1>;
}
