import { useEffect, useRef } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { CatalogFilters, capitalize } from "../catalog/CatalogFilters";
import { ProductCard } from "../catalog/ProductCard";
import {
  type CatalogQuery,
  catalogSearch,
  hasFilters,
  productSort,
  readCatalogQuery,
} from "../catalog/catalogQuery";
import { requestErrorText } from "../lib/errors";
import { graphql } from "../gql";
import type { ProductFilter } from "../gql/graphql";
import { usePageTitle } from "../lib/usePageTitle";
import { useLiveStock } from "../live/useLiveStock";
import "../catalog/catalog.css";

/** Divides into rows of 2, 3 and 4. */
const PAGE_SIZE = 12;

const CatalogPageProducts = graphql(`
  query CatalogPageProducts(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ProductFilter
    $sort: ProductSort
  ) {
    products(
      first: $first
      after: $after
      last: $last
      before: $before
      filter: $filter
      sort: $sort
    ) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          id
          ...ProductCard_product
        }
      }
    }
  }
`);

function variablesFor(query: CatalogQuery) {
  const filter: ProductFilter = {};
  if (query.q) filter.search = query.q;
  if (query.category) filter.category = query.category;
  if (query.tag) filter.tags = [query.tag];
  const page = query.before
    ? { last: PAGE_SIZE, before: query.before }
    : { first: PAGE_SIZE, after: query.after || null };
  return { ...page, filter, sort: productSort(query.sort) };
}

function describe(query: CatalogQuery, count: number): string {
  const parts = [`${count} ${count === 1 ? "product" : "products"}`];
  if (query.q) parts.push(`matching “${query.q}”`);
  if (query.category) parts.push(`in ${capitalize(query.category)}`);
  if (query.tag) parts.push(`tagged ${query.tag}`);
  return parts.join(" ");
}

/** The catalog: search, filters, order and pages, all in the address. */
export function CatalogPage() {
  usePageTitle("Shop");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const query = readCatalogQuery(params);
  const [result, reexecute] = useQuery({
    query: CatalogPageProducts,
    variables: variablesFor(query),
    // Stock changes all the time: show the cached page at once, then the server's.
    requestPolicy: "cache-and-network",
  });
  const products = result.data?.products;
  const edges = products?.edges ?? [];
  const live = useLiveStock({ productIds: edges.map((edge) => edge.node.id) }, () =>
    reexecute({ requestPolicy: "network-only" }),
  );

  // After "Next page" or "Previous page" (or the back button between pages), start
  // reading at the top of the new page, as a page load would.
  const resultsHeading = useRef<HTMLHeadingElement>(null);
  const cursor = query.after || query.before;
  const shownCursor = useRef(cursor);
  useEffect(() => {
    if (shownCursor.current === cursor) return;
    shownCursor.current = cursor;
    resultsHeading.current?.focus();
  }, [cursor]);

  const change = (next: Partial<CatalogQuery>) =>
    navigate({
      pathname: "/",
      search: catalogSearch({ ...query, ...next, after: "", before: "" }),
    });
  const pageLink = (cursors: Pick<CatalogQuery, "after" | "before">) => ({
    pathname: "/",
    search: catalogSearch({ ...query, ...cursors }),
  });

  const loading = result.fetching || result.stale;
  return (
    <section className="page catalog-page">
      <h1>Shop</h1>
      <CatalogFilters query={query} onChange={change} />

      <h2 className="visually-hidden" tabIndex={-1} ref={resultsHeading}>
        Products
      </h2>
      <p role="status" className="catalog-status muted">
        {loading && !products ? "Loading…" : products ? describe(query, products.totalCount) : ""}
      </p>

      {result.error && (
        <div role="alert" className="form-error">
          <p>The products could not be loaded: {requestErrorText(result.error)}</p>
          {cursor && (
            <p>
              <Link to={pageLink({ after: "", before: "" })}>Go to the first page</Link>
            </p>
          )}
        </div>
      )}

      {products && products.totalCount === 0 && (
        <div className="panel">
          {hasFilters(query) ? (
            <p>
              No products match. Try other words, another category or tag, or{" "}
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  change({ q: "", category: "", tag: "" });
                  resultsHeading.current?.focus();
                }}
              >
                show all products
              </button>
              .
            </p>
          ) : (
            <p>The shop has no products yet. Come back soon.</p>
          )}
        </div>
      )}

      {edges.length > 0 && (
        <ul className="product-grid" aria-busy={loading}>
          {edges.map(({ node }) => (
            <li key={node.id}>
              <ProductCard product={node} live={live} />
            </li>
          ))}
        </ul>
      )}

      {products && (products.pageInfo.hasPreviousPage || products.pageInfo.hasNextPage) && (
        <nav className="catalog-pages" aria-label="Pages">
          {products.pageInfo.hasPreviousPage && products.pageInfo.startCursor && (
            <Link
              className="button secondary"
              to={pageLink({ after: "", before: products.pageInfo.startCursor })}
            >
              Previous page
            </Link>
          )}
          {products.pageInfo.hasNextPage && products.pageInfo.endCursor && (
            <Link
              className="button secondary next-page"
              to={pageLink({ after: products.pageInfo.endCursor, before: "" })}
            >
              Next page
            </Link>
          )}
        </nav>
      )}
    </section>
  );
}
