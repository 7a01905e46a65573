import { usePageTitle } from "../lib/usePageTitle";

export function LoginPage() {
  usePageTitle("LoginPage");
  return <h1>LoginPage</h1>;
}
