"""Invoicing: invoices from orders (draft, open, paid, void), their documents and sending,
credit notes, subscriptions and the recurring biller."""
