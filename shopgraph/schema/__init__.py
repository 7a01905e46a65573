"""The GraphQL schema: types, inputs, enums, payloads, permission classes and extensions
(assembled in `build`). No business rules and no MongoDB here."""
