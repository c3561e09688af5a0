"""HTTP entrypoints of the orders service."""
