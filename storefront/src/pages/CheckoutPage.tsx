import { usePageTitle } from "../lib/usePageTitle";

export function CheckoutPage() {
  usePageTitle("CheckoutPage");
  return <h1>CheckoutPage</h1>;
}
