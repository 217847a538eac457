"""Pure domain logic: no AWS, no HTTP."""
