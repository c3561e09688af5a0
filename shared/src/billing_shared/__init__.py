"""The billing platform's shared kit: one way to do each cross-cutting thing, used by every service."""
