"""The HTTP core: FetchResult's answers, file:// reads, limits and odd URLs."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from datetime import datetime, timezone
from email.utils import formatdate

from conftest import Response
from newsd.config import HttpSettings
from newsd.daemon.fetcher import Fetcher, FetchResult, read_local

NOW = datetime(2025, 6, 10, 12, 0, 0, tzinfo=timezone.utc)


def result(**headers: str) -> FetchResult:
    return FetchResult(url="u", final_url="u", status=200, headers=headers)


def test_retry_after_in_seconds_and_as_http_date():
    assert result(**{"retry-after": "120"}).retry_after(NOW) == 120
    assert result(**{"retry-after": "Tue, 10 Jun 2025 12:05:00 GMT"}).retry_after(NOW) == 300
    assert result(**{"retry-after": "Tue, 10 Jun 2025 11:00:00 GMT"}).retry_after(NOW) == 0  # in the past
    assert result(**{"retry-after": "soon"}).retry_after(NOW) is None
    assert result().retry_after(NOW) is None


def test_max_age_from_cache_control():
    assert result(**{"cache-control": "public, max-age=600"}).max_age == 600
    assert result(**{"cache-control": 'max-age="60", must-revalidate'}).max_age == 60
    assert result(**{"cache-control": "no-cache"}).max_age is None


def test_is_modified_and_content_type():
    assert FetchResult(url="u", final_url="u", status=304).is_modified is False
    assert result(**{"content-type": "Text/HTML; charset=utf-8"}).content_type == "text/html"


def test_read_local_answers_304_when_the_file_is_unchanged(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss/>")
    first = read_local(feed.as_uri(), None, 1000)
    assert first.status == 200 and first.body == b"<rss/>" and first.last_modified
    assert read_local(feed.as_uri(), first.last_modified, 1000).status == 304
    os.utime(feed, (time.time() + 60, time.time() + 60))
    assert read_local(feed.as_uri(), first.last_modified, 1000).status == 200


def test_read_local_refuses_big_files_directories_and_missing_ones(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2000)
    assert read_local(big.as_uri(), None, 1000).error_kind == "too_large"
    assert read_local(tmp_path.as_uri(), None, 1000).error_kind == "file"
    assert read_local((tmp_path / "nope.xml").as_uri(), None, 1000).error_kind == "file"


def fetch_all(settings: HttpSettings, urls: list[str]) -> list[FetchResult]:
    async def run() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            return await asyncio.gather(*(fetcher.get(u) for u in urls))

    return asyncio.run(run())


class InFlight:
    """A handler that counts how many requests the server holds at once."""

    def __init__(self, delay: float) -> None:
        self.delay, self.now, self.peak = delay, 0, 0
        self.lock = threading.Lock()

    def __call__(self, request) -> Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1
        return Response("ok", headers={"Content-Type": "text/plain"})


def test_per_host_limit_holds(server):
    counter = InFlight(0.1)
    server.routes["/slow"] = counter
    results = fetch_all(HttpSettings(max_per_host=2, max_connections=10, timeout=5, host_delay=0, allow_private=True), [server.url("/slow")] * 8)
    assert all(r.ok for r in results)
    assert counter.peak == 2


def test_global_limit_holds_across_hosts(server):
    counter = InFlight(0.1)
    server.routes["/slow"] = counter
    # Two host names for the same loopback server: 127.0.0.1 and localhost.
    urls = [server.url("/slow"), server.url("/slow").replace("127.0.0.1", "localhost")] * 4
    results = fetch_all(HttpSettings(max_per_host=4, max_connections=3, timeout=5, host_delay=0, allow_private=True), urls)
    assert all(r.ok for r in results)
    assert counter.peak == 3


def test_redirects_not_followed_when_max_redirects_is_0(server):
    server.routes["/moved"] = Response(status=301, headers={"Location": "/here"})
    (moved,) = fetch_all(HttpSettings(max_redirects=0, timeout=5, host_delay=0, allow_private=True), [server.url("/moved")])
    assert moved.error_kind == "redirects" and "max_redirects = 0" in moved.error and moved.status == 301


def test_malformed_and_unsupported_urls_are_results_not_exceptions(server):
    bad, ftp = fetch_all(HttpSettings(timeout=5, host_delay=0, allow_private=True), ["http://[::1/oops", "ftp://example.org/feed"])
    assert bad.error_kind == "bad_url" and ftp.error_kind == "bad_url"


def test_last_modified_header_is_kept_verbatim(server):
    stamp = formatdate(0, usegmt=True)
    server.routes["/lm"] = Response("x", headers={"Last-Modified": stamp, "ETag": 'W/"abc"'})
    (got,) = fetch_all(HttpSettings(timeout=5, host_delay=0, allow_private=True), [server.url("/lm")])
    assert (got.last_modified, got.etag) == (stamp, 'W/"abc"')


def test_a_body_that_stalls_times_out_after_the_headers_came():
    """The timeout covers the whole response: a server that sends headers and then trickles stops at it."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\npart of it")
        stop.wait(10)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        (got,) = fetch_all(HttpSettings(timeout=1, host_delay=0, allow_private=True),
                           [f"http://127.0.0.1:{listener.getsockname()[1]}/stalls"])
    finally:
        stop.set()
        listener.close()
    assert got.error_kind == "timeout" and "no complete response within 1 s" in (got.error or "")
    assert time.monotonic() - started < 5
