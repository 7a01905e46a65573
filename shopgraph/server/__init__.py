"""Composition root: the ASGI app and its lifespan (MongoDB client, services, background
tasks), the CLI, the embedded database, GraphiQL's assets. Nothing imports it but the
command-line entry point."""
