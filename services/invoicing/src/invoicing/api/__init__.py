"""HTTP entrypoints of the invoicing service: requests to commands, results to JSON."""
