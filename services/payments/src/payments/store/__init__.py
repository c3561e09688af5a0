"""Persistence of payments: its tables, and one repository each for payment intents, refunds, the
order projection, received webhook deliveries and the admin's gateway switches."""
