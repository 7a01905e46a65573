/**
 * What the catalog shows, kept in the address (`?q=&category=&tag=&sort=&after=`/`&before=`)
 * so that a page of results can be linked and the back button walks back through them.
 */
import type { ProductSort } from "../gql/graphql";

export const SORTS = [
  { key: "newest", label: "Newest", sort: { field: "CREATED_AT", direction: "DESC" } },
  { key: "name", label: "Name", sort: { field: "NAME", direction: "ASC" } },
  { key: "price-asc", label: "Price: low to high", sort: { field: "PRICE", direction: "ASC" } },
  { key: "price-desc", label: "Price: high to low", sort: { field: "PRICE", direction: "DESC" } },
] as const satisfies readonly { key: string; label: string; sort: ProductSort }[];

export type SortKey = (typeof SORTS)[number]["key"];

export const DEFAULT_SORT: SortKey = "newest";

export type CatalogQuery = {
  q: string;
  category: string;
  tag: string;
  sort: SortKey;
  /** The page after this cursor (forward), or */
  after: string;
  /** the page before this one (backward); at most one of the two is set. */
  before: string;
};

function isSortKey(value: string | null): value is SortKey {
  return SORTS.some((sort) => sort.key === value);
}

export function readCatalogQuery(params: URLSearchParams): CatalogQuery {
  const sort = params.get("sort");
  const after = params.get("after") ?? "";
  return {
    q: params.get("q")?.trim() ?? "",
    category: params.get("category") ?? "",
    tag: params.get("tag") ?? "",
    sort: isSortKey(sort) ? sort : DEFAULT_SORT,
    after,
    before: after ? "" : (params.get("before") ?? ""),
  };
}

/** The query string for `query`, leaving out what is at its default (`""` for none). */
export function catalogSearch(query: CatalogQuery): string {
  const params = new URLSearchParams();
  if (query.q) params.set("q", query.q);
  if (query.category) params.set("category", query.category);
  if (query.tag) params.set("tag", query.tag);
  if (query.sort !== DEFAULT_SORT) params.set("sort", query.sort);
  if (query.after) params.set("after", query.after);
  else if (query.before) params.set("before", query.before);
  const search = params.toString();
  return search ? `?${search}` : "";
}

export function productSort(key: SortKey): ProductSort {
  return SORTS.find((sort) => sort.key === key)!.sort;
}

export function hasFilters(query: CatalogQuery): boolean {
  return Boolean(query.q || query.category || query.tag);
}
