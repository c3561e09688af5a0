"""The payments service's use cases: one function each, the only place that orchestrates a domain
decision, the store, the provider calls (`provider_calls`, never inside a transaction) and the
events a change raises."""
