import { authExchange } from "@urql/exchange-auth";
import { useSyncExternalStore } from "react";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import {
  accessToken,
  dropAccessToken,
  needsRefresh,
  onIdentityChange,
  refresh,
} from "../auth/session";
import { GRAPHQL_PATH } from "./http";
import { socket } from "./socket";

/** A client for one shopper: its cache holds what they may see. */
function newClient(): Client {
  return new Client({
    url: GRAPHQL_PATH,
    exchanges: [
      cacheExchange,
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = accessToken();
          return token
            ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` })
            : operation;
        },
        willAuthError: () => needsRefresh(),
        didAuthError: (error) =>
          error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED") &&
          accessToken() !== null,
        refreshAuth: async () => {
          dropAccessToken();
          await refresh();
          // Still signed in without a token: the store could not be reached. Fail the
          // waiting requests rather than send them as a guest's.
          if (needsRefresh()) throw new Error("Could not reach the store to renew the session");
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: socket.subscribe({ ...request, query: request.query ?? "" }, sink),
          }),
        }),
      }),
    ],
    preferGetMethod: false,
  });
}

let current = newClient();
const listeners = new Set<() => void>();

// When someone else signs in (or out), nothing cached for the last shopper may show, and
// the socket, which speaks for whoever was signed in when it opened, reconnects.
onIdentityChange(() => {
  socket.terminate();
  current = newClient();
  listeners.forEach((listener) => listener());
});

/** The client for whoever is signed in now. */
export function storeClient(): Client {
  return current;
}

/** The same, re-rendering when the shopper changes (for urql's Provider). */
export function useStoreClient(): Client {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, storeClient);
}
