"""Prometheus metrics: what is counted (`instruments`), where it is counted, and where it
is served (`exposition`). docs/operations/observability.md lists every series."""
