"""The inbox: idempotent consumption of other services' events."""
