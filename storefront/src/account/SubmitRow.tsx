/** A form's submit button and, beside it, what the form is doing while it waits. The
 * button stays focusable while busy (aria-disabled), so keyboard focus is not lost. */
export function SubmitRow({
  label,
  busy,
  busyText,
}: {
  label: string;
  busy: boolean;
  busyText: string;
}) {
  return (
    <div className="row">
      <button type="submit" aria-disabled={busy || undefined}>
        {label}
      </button>
      <span className="muted" role="status">
        {busy ? busyText : ""}
      </span>
    </div>
  );
}
