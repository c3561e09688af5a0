"""HTTP entrypoints of the customers service."""
