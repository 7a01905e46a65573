import type { ResultOf } from "@graphql-typed-document-node/core";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { requestErrorText } from "../lib/errors";
import { OrderRow } from "./OrderRow";

const PAGE_SIZE = 10;

const OrderHistoryPage = graphql(`
  query OrderHistoryPage($first: Int!, $after: String) {
    me {
      id
      orders(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            ...OrderRowFields
          }
        }
      }
    }
  }
`);

type Edge = NonNullable<ResultOf<typeof OrderHistoryPage>["me"]>["orders"]["edges"][number];

/** The signed-in customer's orders, newest first, ten at a time: "More orders" adds the
 * next ten below (and moves focus to the first of them). Always read from the server: the
 * list is someone's own and changes with every order. */
export function OrderHistory() {
  const [after, setAfter] = useState<string | null>(null);
  // The pages before the one `after` names, as they were when "More orders" was pressed.
  const [earlier, setEarlier] = useState<Edge[]>([]);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: OrderHistoryPage,
    variables: { first: PAGE_SIZE, after },
    requestPolicy: "network-only",
  });
  // After "More orders": the index of the first new row, to move focus to once it is in.
  const focusRow = useRef<number | null>(null);
  const table = useRef<HTMLTableElement>(null);

  // While the next page loads, `data` may still be the page before it: dedupe, and offer
  // "More orders" only from a settled page.
  const page = data?.me?.orders;
  const settled = fetching ? null : page;
  const seen = new Set(earlier.map((edge) => edge.node.id));
  const edges = [...earlier, ...(page?.edges ?? []).filter((edge) => !seen.has(edge.node.id))];

  useEffect(() => {
    const index = focusRow.current;
    if (index === null || edges.length <= index) return;
    focusRow.current = null;
    table.current?.querySelectorAll<HTMLElement>("tbody tr a")[index]?.focus();
  }, [edges.length]);

  function more() {
    if (!settled?.pageInfo.endCursor) return;
    focusRow.current = edges.length;
    setEarlier(edges);
    setAfter(settled.pageInfo.endCursor);
  }

  const loadingFirst = !page && fetching && earlier.length === 0;
  const failed = error && !fetching;

  return (
    <section className="stack order-history-section" aria-labelledby="orders-heading">
      <h2 id="orders-heading">Your orders</h2>
      {loadingFirst && <p>Loading…</p>}
      {data && !data.me && <p>Sign in to see your orders.</p>}
      {settled && edges.length === 0 && (
        <p>
          You have no orders yet. <Link to="/">Browse the shop</Link>
        </p>
      )}
      {edges.length > 0 && (
        <>
          <table className="order-history" ref={table}>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Date</th>
                <th scope="col">Status</th>
                <th scope="col">Items</th>
                <th scope="col" className="amount">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {edges.map((edge) => (
                <OrderRow key={edge.node.id} order={edge.node} />
              ))}
            </tbody>
          </table>
          <p className="muted" role="status">
            {settled
              ? `Showing ${edges.length} of ${settled.totalCount} orders.`
              : "Loading more orders…"}
          </p>
        </>
      )}
      {failed && (
        <div className="form-error" role="alert">
          <p>Your orders could not be loaded: {requestErrorText(error)}</p>
          <button type="button" className="secondary" onClick={() => reexecute()}>
            Try again
          </button>
        </div>
      )}
      {settled?.pageInfo.hasNextPage && (
        <div>
          <button type="button" className="secondary" onClick={more}>
            More orders
          </button>
        </div>
      )}
    </section>
  );
}
