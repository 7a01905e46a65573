"""Shopgraph: the GraphQL backend of an online store."""
