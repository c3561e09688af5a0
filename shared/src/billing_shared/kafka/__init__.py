"""The one Kafka wrapper: producers, consumers and topics, configured the same way everywhere."""
