"""Shared fixtures: a local HTTP server on 127.0.0.1, config files, a CLI runner.

No test reaches the internet: feeds and pages are served from loopback.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from newsd.daemon.cli import cli

REPO = Path(__file__).resolve().parents[1]
# The team's shared material (seeds, feed corpus): beside the repository by
# default, or wherever $NEWSD_SHARED says. Tests that need it skip without it.
SHARED = Path(os.environ.get("NEWSD_SHARED") or REPO.parent / "shared")
SAMPLE = REPO / "config" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Response:
    """A canned response; ``delay`` makes a slow server, ``gzip`` compresses the body."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    gzip: bool = False


Handler = Callable[["Request"], Response]


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class LocalServer:
    """Serves ``routes`` (path → Response or handler) and records every request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Response | Handler] = {}
        self.requests: list[Request] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    response = Response(b"not found", status=404, headers={"Content-Type": "text/plain"})
                elif callable(route):
                    response = route(request)
                else:
                    response = route
                if response.delay:
                    time.sleep(response.delay)
                body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
                headers = dict(response.headers)
                if response.gzip:
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                try:
                    self.send_response(response.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if response.status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if response.status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeouts, size caps): expected in tests

        class _Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients hanging up mid-response is what several tests do on purpose

        self.httpd = _Server((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]


def _serving(host: str) -> Iterator[LocalServer]:
    srv = LocalServer(host)
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from _serving("127.0.0.1")


@pytest.fixture
def other_site() -> Iterator[LocalServer]:
    """A second local server, on another loopback address: another site."""
    yield from _serving("127.0.0.2")


def rss(items: list[dict], title: str = "Test feed", link: str = "http://127.0.0.1/") -> str:
    """A small RSS 2.0 document; item keys: title, link, guid, description, pubDate, content."""
    parts = []
    for item in items:
        fields = []
        for key in ("title", "link", "guid", "description", "pubDate"):
            if key in item:
                fields.append(f"<{key}>{item[key]}</{key}>")
        if "content" in item:
            fields.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{title}</title><link>{link}</link><description>test</description>"
        + "".join(parts)
        + "</channel></rss>"
    )


def article_html(title: str, paragraphs: list[str], site: str = "Test Site") -> str:
    """A plausible news page around ``paragraphs``."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}"><meta property="og:title" content="{title}"></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sports">Sports</a></nav></header>
<main><article><h1>{title}</h1><div class="entry-content">{body}</div></article></main>
<footer><p>Contact us. Privacy. Terms.</p></footer></body></html>"""


STORY = [
    "The city council voted on Tuesday to expand the network of protected bicycle lanes across the northern districts, after a year of public consultations and heated debate.",
    "Supporters said the plan would cut traffic injuries and make commuting cheaper for families, while shop owners worried about the loss of parking spaces on the main streets.",
    "The first stretch is due to open next spring, and the council said it would publish monthly figures on cycling traffic and accidents so residents can judge the results.",
]


# Other stories, each of its own: tests that need several distinct articles
# use these (a copy of STORY with a word changed would be deduplicated).
OTHER_STORIES = [
    [
        "The opening of the new tram line to the airport will slip by at least eight months, the transport authority told the city council on Monday.",
        "Engineers found cracks in two bridge sections along the route, and the contractor has asked for more time to replace them before any trains run.",
        "Commuter groups said the delay was the third in two years and called for an independent review of the project's budget and timetable.",
    ],
    [
        "Heavy rain flooded dozens of basements in the old town overnight, and firefighters pumped water out of homes until the early morning hours.",
        "The river rose by almost two metres within six hours, its fastest climb since records began, according to the regional water office.",
        "Residents were advised to keep sandbags ready as forecasters expect more thunderstorms over the weekend across the valley.",
    ],
    [
        "The municipal library will open on Sundays from next month, after a pilot scheme drew more visitors than any weekday last winter.",
        "Volunteers from the local reading club will staff the help desk, while the children's section runs a story hour every afternoon.",
        "The extra opening hours cost about forty thousand euros a year, which the culture committee approved without a vote against.",
    ],
    [
        "A bakery that has served the harbour district for ninety years will close at the end of the summer because its owners are retiring.",
        "Customers queued around the corner on Saturday to buy the rye loaves and plum cakes the family has made from the same recipes since 1934.",
        "No buyer has been found for the shop, but the owners said they hoped a young baker would take over the ovens and keep the name.",
    ],
    [
        "The school board voted to start classes forty minutes later from September, citing research on teenagers' sleep and attention.",
        "Parents were divided at a packed meeting, with some worried about after-school jobs and sports practice running into the evening.",
        "Bus timetables will be changed to match, and the district will publish attendance figures after the first term to judge the change.",
    ],
    [
        "The city orchestra announced a season of free concerts in parks and courtyards, aimed at listeners who have never bought a ticket.",
        "Each programme lasts under an hour and mixes well-known symphonies with pieces by composers from the region, the conductor said.",
        "A local brewery and two foundations pay for the series, which starts in June and runs every second weekend until the end of August.",
    ],
]


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a newsd.toml for the given feed URLs; returns its path."""

    def _write(*feed_urls: str, extra: str = "", http: str = "timeout = 5") -> Path:
        feeds = "".join(f'\n[[feeds]]\nurl = "{u}"\n' for u in feed_urls)
        # Every page comes from one loopback host: no politeness delay, unless a test asks for one.
        if "host_delay" not in http:
            http += "\nhost_delay = 0"
        # Parsing and extraction in a thread of the test process: no worker
        # processes to start per command, and monkeypatched functions apply.
        if "[poll]" not in extra:
            extra = "[poll]\nworkers = 0\n" + extra
        text = f'[storage]\npath = "{tmp_path / "newsd.db"}"\n\n[http]\n{http}\n{extra}{feeds}'
        path = tmp_path / "newsd.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run the newsd CLI in-process; returns click's Result (exit_code, output)."""
    runner = CliRunner()

    def _run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return _run
