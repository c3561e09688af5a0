"""Orders: the catalog and pricing data, and orders priced to the cent on the server."""
