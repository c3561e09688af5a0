"""The outside systems payments talks to: payment providers behind the domain's port
(`payments.domain.payment_provider`), the built-in test gateway and Stripe, and the registry that
builds the configured ones from settings."""
