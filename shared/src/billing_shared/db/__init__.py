"""Database access: one engine per process, a unit of work per change, the kit's tables."""
