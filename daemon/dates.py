"""Dates to the store's form: UTC ISO-8601 with a Z. Pure."""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timezone



EARLIEST_PLAUSIBLE = datetime(1900, 1, 1, tzinfo=timezone.utc)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso_utc(moment: datetime) -> str:
    """A datetime as UTC ISO-8601; naive datetimes are taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    # isoformat pads the year to four digits (strftime's "%Y" gives "1" for year 1, which breaks
    # string order) and is twice as fast as strftime: the daemon calls this several times a poll.
    return moment.isoformat(timespec="seconds")[:-6] + "Z"


def plausible(moment: datetime) -> bool:
    """False for the placeholders feeds use for "no date": year 1, the Unix epoch, ..."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment >= EARLIEST_PLAUSIBLE and moment != UNIX_EPOCH


def from_struct_time(value: time.struct_time | None) -> str | None:
    """feedparser's parsed dates are UTC struct_time values."""
    if value is None:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None
    return iso_utc(moment) if plausible(moment) else None


def parse_since(value: str) -> str:
    """A user's --since date (YYYY-MM-DD or ISO-8601) in the store's form; ValueError if unreadable."""
    return iso_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))


def parse_iso(value: str | None) -> str | None:
    """An ISO-8601 date or date-time from a page (with or without zone) to UTC; None if unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return iso_utc(moment) if plausible(moment) else None


def clamp_future(published_at: str | None, fetched_at: str) -> str | None:
    """A publication date after the fetch time is a clock or feed error: use the fetch time."""
    if published_at is not None and published_at > fetched_at:  # same fixed format: string order is time order
        return fetched_at
    return published_at


def parse_stored(value: str) -> datetime:
    """A time as the store writes it ("2025-06-10T06:00:00Z") as an aware datetime; ValueError if unreadable."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seconds_between(earlier: str, later: str) -> float:
    """Seconds from one stored UTC time ("2025-06-10T06:00:00Z") to another; 0 if either is unreadable."""
    try:
        start, end = parse_stored(earlier), parse_stored(later)
    except ValueError:
        return 0.0
    return (end - start).total_seconds()
