"""Payment providers behind one interface: the built-in test gateway and Stripe."""
