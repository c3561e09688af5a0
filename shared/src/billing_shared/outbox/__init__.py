"""The transactional outbox: events written with the change, published by the relay."""
