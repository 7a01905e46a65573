const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" });

/** An API DateTime as a day, "Dec 1, 2026" (for lists); the text itself if unreadable. */
export function formatDay(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : day.format(date);
}

/** An API DateTime with its time, "December 1, 2026 at 11:31 PM"; the text itself if
 * unreadable. */
export function formatDateTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dayAndTime.format(date);
}
