"""The gateway's fixtures live in gateway_testkit; this file only makes pytest see them."""

from gateway_testkit import gw, loop, make_gateway, stub

__all__ = ["gw", "loop", "make_gateway", "stub"]
