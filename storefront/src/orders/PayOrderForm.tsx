import { useId, useState } from "react";
import { useMutation } from "urql";
import { payloadErrors } from "../lib/errors";
import { DEFAULT_TEST_CARD, TestCardSelect } from "../checkout/TestCardSelect";
import { graphql } from "../gql";

const PayOrderFormPay = graphql(`
  mutation PayOrderFormPay($id: ID!, $payment: PaymentInput!, $token: String) {
    payOrder(id: $id, payment: $payment, token: $token) {
      order {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export type PaymentOutcome = { paid: true } | { paid: false; code: string; message: string };

/** Pays a PENDING order again: a guest with their order's token, a customer signed in. */
export function PayOrderForm(props: {
  orderId: string;
  guestToken: string | null;
  onOutcome: (outcome: PaymentOutcome) => void;
}) {
  const ids = useId();
  const [card, setCard] = useState<string>(DEFAULT_TEST_CARD);
  const [{ fetching }, pay] = useMutation(PayOrderFormPay);

  async function submit() {
    const result = await pay({
      id: props.orderId,
      payment: { token: card },
      token: props.guestToken,
    });
    const payload = result.data?.payOrder;
    if (payload?.order && payload.userErrors.length === 0) {
      props.onOutcome({ paid: true });
      return;
    }
    const problem = payloadErrors(payload, result.error)[0] ?? {
      code: "ERROR",
      message: "The payment did not go through; try again.",
    };
    props.onOutcome({ paid: false, code: problem.code, message: problem.message });
  }

  return (
    <form
      className="stack pay-form panel"
      aria-labelledby={`${ids}-heading`}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h2 id={`${ids}-heading`}>Pay for this order</h2>
      <TestCardSelect id={`${ids}-card`} value={card} onChange={setCard} />
      <div>
        <button type="submit" disabled={fetching}>
          {fetching ? "Paying…" : "Pay now"}
        </button>
      </div>
    </form>
  );
}
