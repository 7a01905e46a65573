"""`python -m shopgraph` is the `shopgraph` command."""

from shopgraph.server.cli import main

main()
