"""Sending invoices by e-mail: the message (`message`: PDF attached, hosted link in the body) and
the mailers (`mailer`: SMTP, or a local sink of `.eml` files)."""
