import { useId, useRef, useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { type CatalogQuery, SORTS, type SortKey, hasFilters } from "./catalogQuery";
import { requestErrorText } from "../lib/errors";
import "./catalog.css";

const CatalogFiltersMenus = graphql(`
  query CatalogFiltersMenus {
    productCategories
    productTags
  }
`);

type Props = {
  query: CatalogQuery;
  /** Shows the first page for the changed search, filters or order. */
  onChange: (change: Partial<Pick<CatalogQuery, "q" | "category" | "tag" | "sort">>) => void;
};

function withCurrent(values: readonly string[], current: string): readonly string[] {
  return current && !values.includes(current) ? [...values, current] : values;
}

/** The search box (applied on Enter or "Search") and the menus (applied when changed). */
export function CatalogFilters({ query, onChange }: Props) {
  const id = useId();
  const searchBox = useRef<HTMLInputElement>(null);
  // The values the menus offer; the one in the address is offered even when missing from them.
  const [menus] = useQuery({ query: CatalogFiltersMenus });
  const categories = menus.data?.productCategories ?? [];
  const tags = menus.data?.productTags ?? [];
  // The box shows what is typed; when the address changes (back button, "Clear filters"),
  // it shows the address's search again.
  const [draft, setDraft] = useState(query.q);
  const [shownQ, setShownQ] = useState(query.q);
  if (shownQ !== query.q) {
    setShownQ(query.q);
    setDraft(query.q);
  }

  return (
    <div className="catalog-filters">
      <form
        role="search"
        className="catalog-search"
        onSubmit={(event) => {
          event.preventDefault();
          onChange({ q: draft.trim() });
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-q`}>Search</label>
          <div className="search-row">
            <input
              id={`${id}-q`}
              ref={searchBox}
              type="search"
              name="q"
              value={draft}
              onChange={(event) => setDraft(event.target.value)}
              placeholder="Name, SKU or description"
              autoComplete="off"
              enterKeyHint="search"
            />
            <button type="submit">Search</button>
          </div>
        </div>
      </form>
      <div className="catalog-menus">
        <div className="field">
          <label htmlFor={`${id}-category`}>Category</label>
          <select
            id={`${id}-category`}
            value={query.category}
            onChange={(event) => onChange({ category: event.target.value })}
          >
            <option value="">All categories</option>
            {withCurrent(categories, query.category).map((category) => (
              <option key={category} value={category}>
                {capitalize(category)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-tag`}>Tag</label>
          <select
            id={`${id}-tag`}
            value={query.tag}
            onChange={(event) => onChange({ tag: event.target.value })}
          >
            <option value="">All tags</option>
            {withCurrent(tags, query.tag).map((tag) => (
              <option key={tag} value={tag}>
                {tag}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-sort`}>Sort by</label>
          <select
            id={`${id}-sort`}
            value={query.sort}
            onChange={(event) => onChange({ sort: event.target.value as SortKey })}
          >
            {SORTS.map((sort) => (
              <option key={sort.key} value={sort.key}>
                {sort.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {menus.error && (
        <p className="field-error" role="alert">
          The category and tag menus could not be loaded: {requestErrorText(menus.error)}
        </p>
      )}
      {hasFilters(query) && (
        <p className="catalog-clear">
          <button
            type="button"
            className="link-button"
            onClick={() => {
              onChange({ q: "", category: "", tag: "" });
              // The button goes away: keep the keyboard where the filters start.
              searchBox.current?.focus();
            }}
          >
            Clear filters
          </button>
        </p>
      )}
    </div>
  );
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
