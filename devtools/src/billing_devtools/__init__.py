"""Development only, never in an image: `localstack` (the supervisor behind `make run` and the
whole-platform tests) and `testing` (fixtures, infrastructure and tokens for every package's tests)."""
