"""Every series Shopgraph exports, defined once per process (docs/operations/observability.md lists
them).

With `PROMETHEUS_MULTIPROC_DIR` set before this module is first imported, prometheus-client
keeps each value in a file of that directory, and whichever process answers a scrape adds
up every process's files: counters and histograms are summed, the gauges of open sockets
and subscriptions too (`livesum`: processes that died no longer count), and the gauges
read from MongoDB show the newest reading (`mostrecent`), since every process reads the
same database.
"""

import os

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # each series below opens its file there
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
disable_created_metrics()  # the same series with or without the multiprocess mode

FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REQUEST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUEST_SECONDS = Histogram(
    "shopgraph_http_request_duration_seconds",
    "HTTP requests: time to the end of the response, by route, method and status.",
    ["route", "method", "status"],
    buckets=REQUEST,
)
OPERATIONS = Counter(
    "shopgraph_graphql_operations",
    "GraphQL operations by name, type and outcome (error: the response has `errors`).",
    ["operation", "type", "outcome"],
)
OPERATION_SECONDS = Histogram(
    "shopgraph_graphql_operation_duration_seconds",
    "GraphQL queries and mutations: parse, validation and execution, by name and type.",
    ["operation", "type"],
    buckets=REQUEST,
)
GRAPHQL_ERRORS = Counter(
    "shopgraph_graphql_errors",
    "Errors in GraphQL responses, by `extensions.code` (or what kind of request error).",
    ["code"],
)
WEBSOCKETS = Gauge(
    "shopgraph_websockets_active",
    "WebSockets accepted and not closed yet.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "shopgraph_subscriptions_active",
    "Running stockUpdated subscriptions.",
    multiprocess_mode="livesum",
)
SUBSCRIPTION_GROUPS = Gauge(
    "shopgraph_subscription_groups_active",
    "Distinct stockUpdated subscriptions (document, variables, visibility) sharing payloads.",
    multiprocess_mode="livesum",
)
SUBSCRIPTION_EXECUTIONS = Counter(
    "shopgraph_subscription_executions",
    "Stock changes executed and encoded for a group of subscribers (once per group).",
)
LIVE_EVENTS = Counter(
    "shopgraph_live_stock_events",
    "Stock changes published to this process's subscribers (one per variant changed).",
)
FEED_LAG_SECONDS = Histogram(
    "shopgraph_live_stock_feed_lag_seconds",
    "From a product's updatedAt (MongoDB's clock) to publishing its stock change.",
    buckets=LAG,
)
ORDERS_PLACED = Counter("shopgraph_orders_placed", "Orders placed (their stock taken).")
ORDERS_PAID = Counter("shopgraph_orders_paid", "Orders paid.")
ORDERS_CANCELLED = Counter(
    "shopgraph_orders_cancelled",
    "Orders cancelled: by a customer or an admin (requested), or when the hold ran out.",
    ["reason"],
)
for _reason in ("requested", "expired"):  # both shown from the start, at 0
    ORDERS_CANCELLED.labels(_reason)
ORDERS_PENDING = Gauge(
    "shopgraph_orders_pending",
    "Orders PENDING, each holding its stock until paid or expired (read from MongoDB).",
    multiprocess_mode="mostrecent",
)
OUTBOX_BACKLOG = Gauge(
    "shopgraph_outbox_backlog",
    "Emails in the outbox not sent yet, waiting or being sent (read from MongoDB).",
    multiprocess_mode="mostrecent",
)
OUTBOX_GIVEN_UP = Gauge(
    "shopgraph_outbox_given_up",
    "Emails given up on after SHOPGRAPH_MAIL_MAX_ATTEMPTS failures (read from MongoDB).",
    multiprocess_mode="mostrecent",
)
MAIL_SENT = Counter("shopgraph_mail_sent", "Emails handed to the mail server (or written).")
MAIL_FAILURES = Counter(
    "shopgraph_mail_send_failures", "Attempts to send an email that failed (retried later)."
)
MONGODB_COMMAND_SECONDS = Histogram(
    "shopgraph_mongodb_command_duration_seconds",
    "MongoDB commands as the driver timed them, by command and collection.",
    ["command", "collection"],
    buckets=FAST,
)
MONGODB_COMMAND_FAILURES = Counter(
    "shopgraph_mongodb_command_failures",
    "MongoDB commands that failed, by command and collection.",
    ["command", "collection"],
)
RESPONSE_CACHE_LOOKUPS = Counter(
    "shopgraph_response_cache_lookups",
    "Anonymous catalog queries looked up in the response cache, by outcome (hit or miss).",
    ["outcome"],
)
RESPONSE_CACHE_EVICTIONS = Counter(
    "shopgraph_response_cache_evictions",
    "Answers dropped from the response cache to stay within SHOPGRAPH_RESPONSE_CACHE_BYTES.",
)
RESPONSE_CACHE_BYTES = Gauge(
    "shopgraph_response_cache_bytes",
    "Bytes the response cache holds (keys, headers, bodies and a fixed cost per entry).",
    multiprocess_mode="livesum",
)
