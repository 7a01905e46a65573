import type { CombinedError } from "urql";
import { requestErrorText } from "../lib/errors";

/** The cart page's and the checkout's message when the cart could not be read at all. */
export function CartLoadFailed({ error, retry }: { error: CombinedError; retry: () => void }) {
  return (
    <div className="form-error" role="alert">
      <p>Your cart could not be loaded: {requestErrorText(error)}</p>
      <button type="button" className="secondary" onClick={retry}>
        Try again
      </button>
    </div>
  );
}
