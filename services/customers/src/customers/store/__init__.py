"""Persistence of customers: tables, the repository, the database object."""
