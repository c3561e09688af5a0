"""HTTP entrypoints of the payments service."""
