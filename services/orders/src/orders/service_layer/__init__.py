"""The orders service's use cases: one function each, the only place that orchestrates a domain
decision, the store and the events it raises. `catalog` (currencies, billing cycles, products),
`tax_rules`, `coupons`, `orders`, and `customers` (the projection other services' events feed)."""
