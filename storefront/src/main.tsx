import { type ReactNode, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { Provider } from "urql";
import { useStoreClient } from "./api/client";
import { startSession } from "./auth/session";
import { App } from "./App";
import "./styles.css";

startSession();

/** Gives the pages the client of whoever is signed in. */
function ClientProvider({ children }: { children: ReactNode }) {
  return <Provider value={useStoreClient()}>{children}</Provider>;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ClientProvider>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </ClientProvider>
  </StrictMode>,
);
