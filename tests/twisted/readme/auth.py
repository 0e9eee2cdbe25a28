#!/usr/bin/env python
# ruff: noqa  -- txredisapi's README example, kept as written (see test_tw_readme.py)

import txredis_aio_twisted as txredisapi
from twisted.internet import defer
from twisted.internet import reactor


@defer.inlineCallbacks
def main():
    redis = yield txredisapi.Connection(password="foobared")
    yield redis.set("foo", "bar")
    print((yield redis.get("foo")))
    reactor.stop()


if __name__ == "__main__":
    main()
    reactor.run()
