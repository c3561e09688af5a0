"""The fault-injection harness: the whole platform as real processes on a Kafka broker and a
PostgreSQL cluster of its own, clients that drive complete flows, faults injected one scenario at a
time, and the invariants read back from the databases, the test PSP's store and the broker.

Used by `tests/faults/test_*.py` (a reduced run in `make test`) and `bench/chaos.py` (`make chaos`).
"""
