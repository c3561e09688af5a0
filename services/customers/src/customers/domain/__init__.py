"""Pure rules about customers: no Flask, no SQLAlchemy, no Kafka."""
