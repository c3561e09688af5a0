"""Persistence of payment intents, refunds, the order projection and webhook deliveries."""
