"""Customers: who is billed, where, and the references to their orders, payments and invoices."""
