/** Money as the API sends it: a decimal string and an ISO 4217 currency. */
export type Money = { amount: string; currency: string };

const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(money: Money): string {
  let format = formats.get(money.currency);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: "currency", currency: money.currency });
    formats.set(money.currency, format);
  }
  return format.format(Number(money.amount));
}

/** A discount as taken off: "−$4.50", or "$0.00" when there is none. */
export function formatDiscount(money: Money): string {
  return Number(money.amount) !== 0 ? `−${formatMoney(money)}` : formatMoney(money);
}
