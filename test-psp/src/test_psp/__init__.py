"""The built-in test payment gateway: a small outside-style payment service provider.

It runs as its own process (`python -m test_psp`) so the whole flow, 3DS included, works
with no internet, and payments talks to it exactly as to a real provider: over HTTP with an API key,
with idempotency keys, and hearing results only through signed webhooks. It never starts with
ENVIRONMENT=production and never stores a card number (only a token, the brand and the last four).
"""
