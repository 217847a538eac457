"""Use cases: each function validates, checks tenancy, and calls the store."""
