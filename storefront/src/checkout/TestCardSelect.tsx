/** The test payment gateway's cards: what each token does. */
export const TEST_CARDS = [
  { token: "tok_visa", label: "Visa, pays (tok_visa)" },
  { token: "tok_chargeDeclined", label: "Declined card (tok_chargeDeclined)" },
  { token: "tok_processingError", label: "Processing error (tok_processingError)" },
] as const;

export const DEFAULT_TEST_CARD = TEST_CARDS[0].token;

/** Picks the card to pay with. The store runs the test gateway, which takes these tokens
 * in place of card details. */
export function TestCardSelect(props: {
  id: string;
  value: string;
  onChange: (token: string) => void;
  describedBy?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>Test card</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        aria-describedby={props.describedBy}
      >
        {TEST_CARDS.map((card) => (
          <option key={card.token} value={card.token}>
            {card.label}
          </option>
        ))}
      </select>
    </div>
  );
}
