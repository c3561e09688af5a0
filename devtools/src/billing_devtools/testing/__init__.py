"""Test support shared by every service's tests: tokens, infrastructure fixtures, process harness."""
