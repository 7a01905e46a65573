/**
 * Who the shopper is, and the tokens that say so.
 *
 * The access token lives in this module's memory only: a script injected into the page
 * cannot find it in storage, and a reload costs one refresh. The refresh token is kept in
 * localStorage so that a reload or a new tab stays signed in. The server rotates it on
 * every use and revokes the whole family when a used one comes back, so a stolen copy
 * works at most until the real tab next refreshes. The page is served with a
 * Content-Security-Policy that allows only its own scripts. Tabs share the one stored
 * token, so refreshing takes a Web Lock: two tabs never spend the same token.
 */
import { useSyncExternalStore } from "react";
import { ApiError, post } from "../api/http";
import { type FragmentType, graphql, readFragment } from "../gql";
import type { ViewerFieldsFragment } from "../gql/graphql";
import type { UserError } from "../lib/userErrors";

const REFRESH_KEY = "shopgraph.refreshToken";
const REFRESH_LOCK = "shopgraph.refresh";
/** Refresh this long before the access token expires, so no request carries a stale one. */
const REFRESH_EARLY_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;

const ViewerFields = graphql(`
  fragment ViewerFields on User {
    id
    name
    email
  }
`);

const SessionFields = graphql(`
  fragment SessionFields on AuthPayload {
    accessToken
    refreshToken
    expiresIn
    user {
      ...ViewerFields
    }
    userErrors {
      field
      message
      code
    }
  }
`);

const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      ...SessionFields
    }
  }
`);

const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      ...SessionFields
    }
  }
`);

const RefreshMutation = graphql(`
  mutation Refresh($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) {
      ...SessionFields
    }
  }
`);

const LogoutMutation = graphql(`
  mutation Logout($refreshToken: String!) {
    logout(refreshToken: $refreshToken) {
      ok
    }
  }
`);

export type Viewer = ViewerFieldsFragment;
export type SessionState =
  | { status: "starting"; viewer: null }
  | { status: "anonymous"; viewer: null }
  | { status: "signedIn"; viewer: Viewer };

type Payload = {
  accessToken?: string | null;
  refreshToken?: string | null;
  expiresIn?: number | null;
  user?: Viewer | null;
  userErrors: UserError[];
};

let state: SessionState = { status: "starting", viewer: null };
let access: { token: string; expiresAt: number } | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<void> | null = null;
const listeners = new Set<() => void>();
const signInListeners = new Set<(viewer: Viewer) => void>();

const identityListeners = new Set<() => void>();

function setState(next: SessionState): void {
  const previous = state;
  state = next;
  listeners.forEach((listener) => listener());
  // Restoring the session a page starts with changes nobody: only later changes count.
  if (previous.status === "starting" || previous.viewer?.id === next.viewer?.id) return;
  identityListeners.forEach((listener) => listener());
  if (next.status === "signedIn") signInListeners.forEach((listener) => listener(next.viewer));
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The session, re-rendering the caller when it changes. */
export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, () => state);
}

export function currentSession(): SessionState {
  return state;
}

/** Calls `listener` whenever who is signed in changes (sign-in, sign-out, another tab),
 * not when a page restores the session it starts with. */
export function onIdentityChange(listener: () => void): () => void {
  identityListeners.add(listener);
  return () => identityListeners.delete(listener);
}

/** Calls `listener` after each sign-in (here or in another tab), e.g. to give a guest cart
 * to the new customer; not when a page restores the session it starts with. */
export function onSignIn(listener: (viewer: Viewer) => void): () => void {
  signInListeners.add(listener);
  return () => signInListeners.delete(listener);
}

/** The access token for a request, or null when signed out or about to expire. */
export function accessToken(): string | null {
  return access && access.expiresAt - Date.now() > 10_000 ? access.token : null;
}

/** True when a request should wait for a refresh first: the session is being restored,
 * or its access token has run out. */
export function needsRefresh(): boolean {
  if (state.status === "starting") return storedRefreshToken() !== null;
  return state.status === "signedIn" && accessToken() === null;
}

/** An access token fit for a new connection, refreshing first if needed. */
export async function freshAccessToken(): Promise<string | null> {
  if (needsRefresh()) await refresh();
  return accessToken();
}

/** Forgets the access token the server refused (`token`; the current one when not given),
 * so that the next use refreshes. A newer token, got meanwhile, is kept. */
export function dropAccessToken(token?: string): void {
  if (token === undefined || access?.token === token) access = null;
}

function storedRefreshToken(): string | null {
  return localStorage.getItem(REFRESH_KEY);
}

function adopt(payload: Payload): void {
  if (!payload.accessToken || !payload.refreshToken || !payload.user) {
    throw new ApiError("The server sent no session", undefined);
  }
  localStorage.setItem(REFRESH_KEY, payload.refreshToken);
  const lifetimeMs = (payload.expiresIn ?? 0) * 1000;
  access = { token: payload.accessToken, expiresAt: Date.now() + lifetimeMs };
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(
    () => void refresh(),
    Math.max(lifetimeMs - REFRESH_EARLY_MS, MIN_REFRESH_DELAY_MS),
  );
  setState({ status: "signedIn", viewer: payload.user });
}

function forget(): void {
  localStorage.removeItem(REFRESH_KEY);
  clearLocal();
}

function clearLocal(): void {
  access = null;
  clearTimeout(refreshTimer);
  setState({ status: "anonymous", viewer: null });
}

/** Trades the stored refresh token for a new pair. Signs out only when the server says
 * the token is no good; when it cannot answer (offline, restarting, an error of its own)
 * the token is kept and tried again shortly, and a page that was starting stays so. */
export function refresh(): Promise<void> {
  refreshing ??= withRefreshLock(async () => {
    const token = storedRefreshToken();
    if (!token) return clearLocal();
    let payload: Payload;
    try {
      payload = readPayload((await post(RefreshMutation, { refreshToken: token })).refreshToken);
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return forget();
      return retryRefreshSoon();
    }
    // Signed out (here or in another tab) while the answer was on its way: stay so.
    if (storedRefreshToken() !== token) return;
    if (payload.userErrors.some((error) => error.code === "INVALID_TOKEN")) return forget();
    if (payload.userErrors.length > 0) return retryRefreshSoon(); // e.g. too many attempts
    adopt(payload);
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function retryRefreshSoon(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), MIN_REFRESH_DELAY_MS);
}

/** Runs `work` holding the tabs' refresh lock. Web Locks exist only in secure contexts
 * (https, or http on localhost); elsewhere tabs refresh unguarded, and two of them
 * restoring at once may spend one token twice, which ends the session. */
async function withRefreshLock(work: () => Promise<void>): Promise<void> {
  if (!("locks" in navigator)) return work();
  await navigator.locks.request(REFRESH_LOCK, work);
}

function readPayload(payload: FragmentType<typeof SessionFields>): Payload {
  const fields = readFragment(SessionFields, payload);
  return { ...fields, user: fields.user ? readFragment(ViewerFields, fields.user) : null };
}

/** Signs in; returns the problems to show, or an empty list when signed in. */
export async function login(email: string, password: string): Promise<UserError[]> {
  const { login } = await post(LoginMutation, { email, password });
  return take(readPayload(login));
}

/** What registering did: the problems to show, or whether the shopper is now signed in
 * (false when the store first confirms the address by email: no session is given yet). */
export type Registration = { problems: UserError[]; signedIn: boolean };

/** Creates an account and signs in to it when the store allows that at once. */
export async function register(
  email: string,
  password: string,
  name: string,
): Promise<Registration> {
  const { register } = await post(RegisterMutation, { input: { email, password, name } });
  const payload = readPayload(register);
  if (payload.userErrors.length > 0) return { problems: payload.userErrors, signedIn: false };
  if (!payload.accessToken) return { problems: [], signedIn: false };
  adopt(payload);
  return { problems: [], signedIn: true };
}

function take(payload: Payload): UserError[] {
  if (payload.userErrors.length > 0) return payload.userErrors;
  adopt(payload);
  return [];
}

/** Ends this session on the server and forgets it here (in every tab). */
export async function logout(): Promise<void> {
  const token = storedRefreshToken();
  forget(); // a refresh under way sees the token gone and does not sign back in
  if (token) await post(LogoutMutation, { refreshToken: token }).catch(() => undefined);
}

/** Restores the session a reload or a new tab starts with, and follows other tabs. */
export function startSession(): void {
  window.addEventListener("storage", (event) => {
    if (event.key !== REFRESH_KEY) return;
    if (event.newValue === null) clearLocal();
    else if (state.status !== "signedIn") void refresh();
  });
  if (storedRefreshToken()) void refresh();
  else setState({ status: "anonymous", viewer: null });
}
