import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the pages with hot reload and passes the API to a running
// `shopgraph serve` (SHOPGRAPH_URL, default http://127.0.0.1:8000).
const api = process.env.SHOPGRAPH_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: { sourcemap: true },
  server: {
    proxy: {
      "/graphql": { target: api, ws: true },
      "/media": api,
    },
  },
});
