"""Invoicing's outside systems: mail (SMTP or a local sink), document rendering (PDF, the hosted
HTML page) and the signer of hosted invoice links with its secret file."""
