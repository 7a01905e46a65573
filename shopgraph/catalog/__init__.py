"""The catalog: products, their rules, and every change of their stock, free of GraphQL."""
