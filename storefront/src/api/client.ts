import { authExchange } from "@urql/exchange-auth";
import { createClient as createSocketClient } from "graphql-ws";
import { useSyncExternalStore } from "react";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import {
  accessToken,
  dropAccessToken,
  freshAccessToken,
  needsRefresh,
  onIdentityChange,
  refresh,
} from "../auth/session";
import { GRAPHQL_PATH } from "./http";

/** The server closes a socket with this code when its access token has run out. */
const SESSION_ENDED = 4403;

const socketUrl = new URL(GRAPHQL_PATH, window.location.href);
socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";

/** One socket for every live query on the page (graphql-transport-ws). It connects when
 * the first subscription starts, and reconnects for good: after a drop, or after the
 * server ends a session whose token ran out, with a fresh token. */
const socket = createSocketClient({
  url: socketUrl.href,
  lazy: true,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  connectionParams: async () => {
    const token = await freshAccessToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
  on: {
    closed: (event) => {
      if ((event as CloseEvent).code === SESSION_ENDED) dropAccessToken();
    },
  },
});

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
