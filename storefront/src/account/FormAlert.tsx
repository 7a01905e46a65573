/** The problems a form could not pin to one input. The live region is always in the page,
 * so screen readers announce messages as they appear; it shows only when it has some. */
export function FormAlert({ messages }: { messages: readonly string[] }) {
  return (
    <div role="alert" className={messages.length > 0 ? "form-error" : undefined}>
      {messages.length === 1 && <p className="form-alert-line">{messages[0]}</p>}
      {messages.length > 1 && (
        <ul className="form-alert-list">
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
