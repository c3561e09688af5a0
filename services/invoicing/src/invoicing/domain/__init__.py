"""Pure rules of invoicing: invoices, credit notes, subscriptions and their renewals, what a
document says, the commands callers send. No Flask, no SQLAlchemy, no Kafka."""
