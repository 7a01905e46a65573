# syntax=docker/dockerfile:1
# Shopgraph's image: `docker build -t shopgraph .`, or let deploy/docker-compose.yml build it.
# Three stages: GraphiQL's scripts from npm, the Python virtualenv, then a small runtime
# with neither Node nor build tools, running as an unprivileged user. The install commands
# are the ones `make install` runs (tests/test_deploy.py keeps them the same); docs/deploy.md
# tells the whole story.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# --- GraphiQL's scripts and styles, served by Shopgraph so the explorer needs no CDN ---
FROM node:22-bookworm-slim AS graphiql
WORKDIR /build
COPY graphiql/package.json graphiql/package-lock.json graphiql/
# The page loads only the packages graphiql/package.json names, each from its own files:
# those alone go to the runtime (26 MB of the 63 MB that npm installs).
RUN npm ci --prefix graphiql --no-audit --no-fund --ignore-scripts --loglevel=error \
 && node -e 'const fs = require("fs"); \
      const { dependencies } = require("./graphiql/package.json"); \
      for (const name of Object.keys(dependencies)) \
        fs.cpSync("graphiql/node_modules/" + name, "/graphiql-assets/" + name, { recursive: true });'

# --- the virtualenv: Shopgraph and its dependencies, without the dev extra ---------------
FROM ${PYTHON_IMAGE} AS venv
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml README.md ./
COPY shopgraph shopgraph
RUN /opt/venv/bin/python -m pip install --quiet --upgrade pip \
 && /opt/venv/bin/python -m pip install --quiet .

# --- the runtime ----------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# A fixed UID, so that volumes and Kubernetes' runAsNonRoot can name it. secrets/ is where
# deploy/docker-compose.yml keeps the generated JWT secret (SHOPGRAPH_JWT_SECRET_FILE).
RUN groupadd --system --gid 10001 shopgraph \
 && useradd --system --uid 10001 --gid shopgraph --home-dir /var/lib/shopgraph \
      --no-create-home --shell /usr/sbin/nologin shopgraph \
 && install -d -o shopgraph -g shopgraph -m 0700 /var/lib/shopgraph /var/lib/shopgraph/secrets
COPY --from=venv /opt/venv /opt/venv
COPY --from=graphiql /graphiql-assets /opt/shopgraph/graphiql-assets
# Production unless told otherwise: it refuses to start without SHOPGRAPH_JWT_SECRET (or
# SHOPGRAPH_JWT_SECRET_FILE) and MONGODB_URI names the database (without it, the embedded
# one starts, with its data in SHOPGRAPH_DATA_DIR). HOST and PORT rather than their
# SHOPGRAPH_ names, which they outrank: Kubernetes sets SHOPGRAPH_PORT=tcp://... in every
# pod beside a Service named shopgraph. Change the port with PORT, not `--port`, so that
# the HEALTHCHECK follows. One server process per container: run
# more containers to serve more (docs/deploy.md, "Scaling the Shopgraph replicas").
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SHOPGRAPH_ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    SHOPGRAPH_DATA_DIR=/var/lib/shopgraph \
    SHOPGRAPH_GRAPHIQL_ASSETS_DIR=/opt/shopgraph/graphiql-assets
USER 10001:10001
WORKDIR /var/lib/shopgraph
EXPOSE 8000
# Ready when MongoDB answers: /readyz says 503 otherwise, and urlopen raises on it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["shopgraph", "serve"]
