import { usePageTitle } from "../lib/usePageTitle";

export function AccountPage() {
  usePageTitle("AccountPage");
  return <h1>AccountPage</h1>;
}
