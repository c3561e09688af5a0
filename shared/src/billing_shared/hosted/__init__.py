"""Hosted invoice links: the signed, expiring URL of an invoice's page, read by invoicing (which
shows the page) and payments (which takes its payment), both holding the same key."""
