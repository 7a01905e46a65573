/**
 * The one WebSocket (graphql-transport-ws) every live query on the page shares. It
 * connects when the first subscription starts and reconnects for good: after a drop, or
 * after the server closed it with 4403 because the token it opened with ran out (or its
 * session ended), then with a fresh token. Changes made while it was away are not
 * replayed, so pages that show live values read them again after each reconnection
 * (`useReconnections`).
 */
import { createClient } from "graphql-ws";
import { useSyncExternalStore } from "react";
import { dropAccessToken, freshAccessToken } from "../auth/session";
import { GRAPHQL_PATH } from "./http";

/** The server closes a socket with this code when its access token has run out. */
const SESSION_ENDED = 4403;
const MAX_RETRY_WAIT_MS = 30_000;

const url = new URL(GRAPHQL_PATH, window.location.href);
url.protocol = url.protocol === "https:" ? "wss:" : "ws:";

let reconnections = 0;
/** The access token the socket opened with, if any. */
let connectedWith: string | undefined;
const listeners = new Set<() => void>();

export const socket = createClient({
  url: url.href,
  lazy: true,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  // The first retry goes at once (a token that ran out is no outage); later ones back off
  // exponentially, with jitter so that a restarted server is not met by every tab at once.
  retryWait: (retries) =>
    new Promise((resolve) =>
      setTimeout(
        resolve,
        retries === 0 ? 0 : Math.min(1000 * 2 ** retries, MAX_RETRY_WAIT_MS) * Math.random(),
      ),
    ),
  connectionParams: async () => {
    connectedWith = (await freshAccessToken()) ?? undefined;
    return connectedWith ? { authorization: `Bearer ${connectedWith}` } : {};
  },
  on: {
    closed: (event) => {
      // The token this socket opened with is done; one refreshed since is still good.
      if ((event as CloseEvent).code === SESSION_ENDED && connectedWith) {
        dropAccessToken(connectedWith);
      }
    },
    connected: (_socket, _payload, wasRetry) => {
      if (!wasRetry) return;
      reconnections += 1;
      listeners.forEach((listener) => listener());
    },
  },
});

/** How often the socket has reconnected so far. */
export function reconnectionCount(): number {
  return reconnections;
}

/** The same, re-rendering the caller each time it grows. */
export function useReconnections(): number {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, reconnectionCount);
}
