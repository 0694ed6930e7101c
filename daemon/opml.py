"""OPML subscription lists in and out. Pure: bytes in, values out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import formatdate

from newsd.daemon.errors import NewsdError


class OpmlError(NewsdError):
    """The file is not a readable OPML subscription list."""


@dataclass(frozen=True)
class Subscription:
    url: str
    name: str | None
    tags: tuple[str, ...]


def parse_opml(data: bytes) -> list[Subscription]:
    """Every outline with an xmlUrl; enclosing outlines' titles become tags."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"not an OPML document (root element is <{root.tag}>)")
    body = root.find("body")
    if body is None:
        raise OpmlError("OPML document has no <body>")
    found: list[Subscription] = []

    def walk(element: ET.Element, tags: tuple[str, ...]) -> None:
        for outline in element.findall("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            name = outline.get("title") or outline.get("text")
            if name and name.strip() == url:
                name = None  # exporters (newsd among them) fill a missing name with the URL
            if url:
                # Tags: the enclosing folders, plus OPML 2.0's comma-separated category attribute.
                categories = tuple(c.strip().strip("/") for c in (outline.get("category") or "").split(","))
                all_tags = tuple(dict.fromkeys(tags + tuple(c for c in categories if c)))
                found.append(Subscription(url=url, name=name.strip() if name else None, tags=all_tags))
            else:
                walk(outline, tags + ((name.strip(),) if name and name.strip() else ()))

    walk(body, ())
    return found


def build_opml(feeds: list[dict], title: str = "newsd subscriptions") -> bytes:
    """An OPML 2.0 document of feeds (rows with url, name/title and tags)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = feed.get("name") or feed.get("title") or feed["url"]
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": feed["url"]}
        if feed.get("site_url"):
            attrs["htmlUrl"] = feed["site_url"]
        tags = feed.get("tags") or []
        if tags:
            attrs["category"] = ",".join(tags)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
