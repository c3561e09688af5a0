"""The HTTP side every service shares: app factory, problem+json, idempotency, paging, health."""
