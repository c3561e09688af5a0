"""Persistence of invoicing: its tables (and the kit's), one repository per aggregate, and the
projections of other services' customers and orders."""
