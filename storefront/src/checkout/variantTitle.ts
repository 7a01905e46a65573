/** The variant's title as a shopper reads it: "M / Black", or nothing for the one variant
 * of a product without options (the API calls that one "Default Title"). */
export function shownVariantTitle(
  variant: { title: string; selectedOptions: readonly unknown[] } | null | undefined,
): string {
  if (!variant || variant.selectedOptions.length === 0) return "";
  return variant.title;
}

/** "Classic T-Shirt M / Black", or "Vintage Hoodie" for a product without options. */
export function lineName(productName: string, variantTitle: string | null | undefined): string {
  return variantTitle ? `${productName} ${variantTitle}` : productName;
}
