"""The invoicing service's use cases: one function each, the only place that orchestrates a domain
decision, the store, the outside systems (mail, documents) and the events it raises."""
