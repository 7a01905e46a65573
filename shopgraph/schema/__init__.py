"""The GraphQL schema: types, inputs, enums and payloads (assembled in `build`)."""
