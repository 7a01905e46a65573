"""The GraphQL edge's adapters: decode IDs and inputs, call one domain service, and map
the result, and any `DomainError` (see `user_errors`), to the schema's types."""
