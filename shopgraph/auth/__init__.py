"""Who the caller is and what they may do, free of GraphQL: passwords, tokens, sessions and
their rotation, the password throttle, and permissions as plain predicates."""
