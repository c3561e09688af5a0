"""Pure rules of payments: an intent's states and life, refunds, webhooks' effects, the order
projection, reconciliation, the commands callers send, and the port every payment provider adapter
implements (`payment_provider`). No Flask, no SQLAlchemy, no Kafka, no provider calls."""
