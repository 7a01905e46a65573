"""Shopgraph: the GraphQL backend of an online store.

Layers, top to bottom; a module imports only its own layer and those below
(`tests/test_layering.py` holds them to it):
- `server/`: the composition root (app, lifespan, CLI); nothing imports it.
- `schema/`, `resolvers/`: the GraphQL edge; resolvers translate IDs and inputs, call one
  domain service, and map results and `DomainError`s to the schema's types.
- `auth/`, `catalog/`, `checkout/` (and `services.py`, `live/`): the domain, free of
  GraphQL, requests and the driver.
- `datasources/`, `integrations/`: MongoDB, the payment gateway, mail.
- `settings.py`, `money.py`, `clock.py`, `documents.py`, `errors.py`: plain values.
"""
