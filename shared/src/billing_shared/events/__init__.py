"""Events: what a domain change raises, the catalogue of event types, and their CloudEvents form."""
