"""All MongoDB access: one module per collection, its indexes beside its queries."""
