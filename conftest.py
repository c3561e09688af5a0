"""Root conftest: the shared fixtures (real PostgreSQL and Kafka, tokens) for every package's tests."""

pytest_plugins = ["billing_devtools.testing.fixtures"]
