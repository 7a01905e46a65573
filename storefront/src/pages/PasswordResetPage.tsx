import { usePageTitle } from "../lib/usePageTitle";

export function PasswordResetPage() {
  usePageTitle("PasswordResetPage");
  return <h1>PasswordResetPage</h1>;
}
