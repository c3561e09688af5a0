"""Pure rules of the catalog and orders: no Flask, no SQLAlchemy, no Kafka."""
