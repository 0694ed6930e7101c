"""The exceptions newsd's pipeline raises, in one tree.

    NewsdError
    ├── FeedError          the feed document cannot be used
    │   ├── NotAFeed       the response is something else (often an HTML page)
    │   └── MalformedFeed  broken XML with nothing recoverable
    └── OpmlError          (newsd.daemon.opml) not a readable subscription list

HTTP failures are not exceptions: the client returns them as a ``FetchResult``
with an ``error_kind``, so one bad host never unwinds a run. An unusable
article page is not an exception either: ``pipeline.page_problem`` says why
in words, and the feed's own text is stored instead. Configuration
and store failures are ``newsd.config.ConfigError`` and
``newsd.storage.StoreError``; the CLI turns them into exit code 2.
"""


class NewsdError(Exception):
    """Base of every error newsd's pipeline raises on purpose."""


class FeedError(NewsdError):
    """The feed document cannot be used."""


class NotAFeed(FeedError):
    """The response is not RSS, Atom or RDF."""


class MalformedFeed(FeedError):
    """The document is broken beyond what the parser can recover."""
