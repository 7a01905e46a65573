"""Resolvers: permissions, validation and business rules over the datasources."""
