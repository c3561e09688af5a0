"""The payments service: gateways, payment intents, webhooks, refunds, reconciliation."""
