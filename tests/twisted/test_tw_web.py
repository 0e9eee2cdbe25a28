"""A twisted.web app on ``lazyConnectionPool`` (txredisapi's README web example, on twisted.web).

The app must answer 200 for GET/POST/DELETE, 503 within a second while Redis is down, and 200
again once Redis is back, over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest_twisted
from twisted.internet import defer, reactor
from twisted.web import resource, server
from twisted.web.client import Agent, readBody
from twisted.web.http_headers import Headers

import txredis_aio_twisted as redis
from txredis_aio.testing import RedisServer


class TextResource(resource.Resource):
    """GET/POST/DELETE /text/<key> backed by Redis; 503 when Redis fails."""

    isLeaf = True

    def __init__(self, rc: Any) -> None:
        super().__init__()
        self.rc = rc

    def render(self, request: Any) -> Any:
        self._handle(request)
        return server.NOT_DONE_YET

    @defer.inlineCallbacks
    def _handle(self, request: Any) -> Any:
        key = request.postpath[-1].decode()
        method = request.method.decode()
        try:
            if method == "GET":
                value = yield self.rc.get(key)
                body = f"{key}={value}\r\n"
            elif method == "POST":
                value = request.args[b"value"][0].decode()
                yield self.rc.set(key, value)
                body = f"{key}={value}\r\n"
            else:
                n = yield self.rc.delete(key)
                body = f"DEL {key}={n}\r\n"
        except Exception:
            request.setResponseCode(503)
            body = "503: Service Unavailable"
        request.setHeader(b"content-type", b"text/plain")
        request.write(body.encode())
        request.finish()


@defer.inlineCallbacks
def http(method: str, url: str, form: Any = None) -> Any:
    """One request over real HTTP: (status, body)."""
    headers = Headers()
    producer = None
    if form is not None:
        from io import BytesIO

        from twisted.web.client import FileBodyProducer

        headers.addRawHeader(b"content-type", b"application/x-www-form-urlencoded")
        producer = FileBodyProducer(BytesIO(urlencode(form).encode()))
    resp = yield Agent(reactor).request(method.encode(), url.encode(), headers, producer)
    body = yield readBody(resp)
    return resp.code, body.decode()


@pytest_twisted.inlineCallbacks
def test_web_app_survives_redis_outage() -> Any:
    """200 for POST/GET/DELETE; 503 in under a second while Redis is down; 200 again after."""
    srv = RedisServer().start()
    rc = redis.lazyConnectionPool(srv.host, srv.port, poolsize=3)
    port = reactor.listenTCP(0, server.Site(TextResource(rc)), interface="127.0.0.1")
    base = f"http://127.0.0.1:{port.getHost().port}/text/foo"
    try:
        assert (yield http("POST", base, {"value": "bar"})) == (200, "foo=bar\r\n")
        assert (yield http("GET", base)) == (200, "foo=bar\r\n")
        assert (yield http("DELETE", base)) == (200, "DEL foo=1\r\n")

        srv.kill()
        t0 = time.monotonic()
        code, _ = yield http("GET", base)
        assert code == 503
        assert time.monotonic() - t0 < 1.0

        srv.start()
        deadline = time.monotonic() + 15
        while True:
            code, body = yield http("GET", base)
            if code == 200 or time.monotonic() > deadline:
                break
            yield _sleep(0.1)  # poll interval; the condition is the 200 above
        assert (code, body) == (200, "foo=None\r\n")
        assert (yield http("POST", base, {"value": "back"})) == (200, "foo=back\r\n")
    finally:
        yield port.stopListening()
        yield rc.disconnect()
        srv.cleanup()


def _sleep(seconds: float) -> defer.Deferred:
    d: defer.Deferred = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)
    return d
