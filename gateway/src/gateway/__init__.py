"""The API gateway: the platform's only public door (routing, tokens, JWT checks, rate limits, OpenAPI)."""
