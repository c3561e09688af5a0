"""Persistence of the catalog and orders."""
