"""Pure rules of payments: no Flask, no SQLAlchemy, no Kafka, no provider calls."""
