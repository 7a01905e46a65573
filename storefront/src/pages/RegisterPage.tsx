import { usePageTitle } from "../lib/usePageTitle";

export function RegisterPage() {
  usePageTitle("RegisterPage");
  return <h1>RegisterPage</h1>;
}
