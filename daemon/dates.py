"""Dates to the store's form: UTC ISO-8601 with a Z. Pure."""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso_utc(moment: datetime) -> str:
    """A datetime as UTC ISO-8601; naive datetimes are taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)


def from_struct_time(value: time.struct_time | None) -> str | None:
    """feedparser's parsed dates are UTC struct_time values."""
    if value is None:
        return None
    try:
        return iso_utc(datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc))
    except (OverflowError, ValueError, OSError):
        return None


def parse_iso(value: str | None) -> str | None:
    """An ISO-8601 date or date-time from a page (with or without zone) to UTC; None if unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return iso_utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def clamp_future(published_at: str | None, fetched_at: str) -> str | None:
    """A publication date after the fetch time is a clock or feed error: use the fetch time."""
    if published_at is not None and published_at > fetched_at:  # same fixed format: string order is time order
        return fetched_at
    return published_at
