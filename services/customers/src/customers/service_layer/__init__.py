"""The customers service's use cases: one function each, the only place that orchestrates a
domain decision, the store and the events it raises."""
