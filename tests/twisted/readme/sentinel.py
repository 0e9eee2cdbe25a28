#!/usr/bin/env python
# ruff: noqa  -- txredisapi's README example, kept as written (see test_tw_readme.py)

from twisted.internet.task import react
from twisted.internet import defer
import txredis_aio_twisted as txredisapi

@defer.inlineCallbacks
def main(reactor):
    sentinel = txredisapi.Sentinel([("sentinel-a", 26379), ("sentinel-b", 26379), ("sentinel-c", 26379)])
    redis = sentinel.master_for("service_name")
    yield redis.set("foo", "bar")
    print((yield redis.get("foo")))
    yield redis.disconnect()
    yield sentinel.disconnect()

react(main)
