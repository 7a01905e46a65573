"""Composition root: settings, the ASGI app, the embedded database, the CLI."""
