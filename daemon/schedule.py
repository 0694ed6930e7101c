"""When to poll a feed next: pure functions of what the last poll saw and the time.

No I/O and no clock: ``now`` and the random draw for jitter are arguments,
so every rule here is a unit test away. The pipeline gathers a ``PollFacts``
after each poll and stores the ``FeedSchedule`` that ``after_poll`` returns.

The rules, in the order they apply:

- A feed's **interval** follows its publishing rate: half the mean gap
  between its recent entries (two polls per expected story), so a story is
  caught soon after it appears; a feed that falls silent drifts to longer
  intervals as its newest entry ages. Always within the feed's minimum and
  maximum.
- The server's and the feed's own hints (Cache-Control max-age, Expires,
  RSS ``ttl``, ``sy:updatePeriod``) lengthen the interval up to the maximum;
  Retry-After on 429/503 is honoured even beyond it (up to a week).
- **Errors** back off exponentially from the interval, up to the maximum;
  a feed that has failed without a break for ``disable_after`` is disabled
  with its reason, and so is one that answers 410 Gone.
- **Jitter** adds up to ``jitter`` of the delay (never subtracts it, so a
  feed is never polled faster than its minimum), which spreads feeds added
  together over time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsd.config import FeedSettings, PollSettings

# Keep honouring Retry-After beyond the maximum interval, but not forever: a
# server asking for a year is more likely misconfigured than serious.
MAX_RETRY_AFTER_S = 7 * 86400
# Entries used to estimate the publishing rate: enough to average out bursts,
# few enough to follow a change of pace within a day or two.
RATE_SAMPLE = 10
# sy:updatePeriod in seconds (the RSS 1.0 syndication module).
UPDATE_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}


@dataclass(frozen=True)
class Limits:
    """How often one feed may be polled (the config's [poll], or a feed's own values)."""

    min_interval_s: int = 600
    max_interval_s: int = 86400
    default_interval_s: int = 3600  # until the feed's publishing rate is known
    jitter: float = 0.1  # up to this share of each delay is added at random
    disable_after_s: int = 7 * 86400  # failing without a break this long disables the feed


@dataclass(frozen=True)
class FeedSchedule:
    """A feed's polling state, as the store keeps it."""

    interval_s: int  # the normal delay between polls, from the publishing rate and hints
    next_poll_at: datetime
    error_count: int = 0  # consecutive failed polls
    failing_since: datetime | None = None  # the first of those failures
    disabled_reason: str | None = None  # set when newsd stopped polling the feed
    published_gap_s: int | None = None  # estimated mean time between the feed's entries
    newest_entry_at: datetime | None = None  # the newest entry date seen in the feed


@dataclass(frozen=True)
class PollFacts:
    """What one poll observed, as far as scheduling cares."""

    now: datetime
    ok: bool  # a usable answer: 2xx or 304
    status: int | None = None  # HTTP status; None when no response arrived
    error: str | None = None
    entry_dates: tuple[datetime, ...] = ()  # of every entry in a parsed feed (none on 304 or unchanged)
    new_entries: int = 0
    max_age_s: int | None = None  # Cache-Control max-age
    expires_at: datetime | None = None  # Expires
    retry_after_s: int | None = None  # Retry-After, on 429 and 503
    feed_ttl_s: int | None = None  # the feed's <ttl> or sy:updatePeriod / sy:updateFrequency


def feed_ttl_seconds(ttl: str | None, update_period: str | None, update_frequency: str | None) -> int | None:
    """The feed's own idea of how often to poll it: RSS ``ttl`` (minutes) or sy:updatePeriod / sy:updateFrequency.

    Unreadable values are ignored: a hint, not a contract.
    """
    hints = []
    if ttl and ttl.strip().isdigit() and int(ttl) > 0:
        hints.append(int(ttl) * 60)
    period = UPDATE_PERIODS.get((update_period or "").strip().lower())
    if period:
        frequency = update_frequency.strip() if update_frequency else "1"
        times = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        hints.append(period // times)
    return max(hints) if hints else None


def publishing_gap(entry_dates: tuple[datetime, ...], now: datetime) -> int | None:
    """The mean time between a feed's recent entries, counted up to ``now``; None with under two dated entries.

    Counting to ``now`` rather than to the newest entry means a feed that has
    gone quiet reads as slower than its last burst.
    """
    # Distinct dates only: a feed that stamps every item with its build time says nothing about its pace.
    past = sorted({d for d in entry_dates if d <= now}, reverse=True)[:RATE_SAMPLE]
    if len(past) < 2:
        return None
    return max(1, int((now - past[-1]).total_seconds() / len(past)))


def estimate_gap(previous: FeedSchedule | None, facts: PollFacts, last_polled_at: datetime | None) -> int | None:
    """The publishing gap after this poll: from entry dates, else from new entries per elapsed time, else aged.

    A feed without dates still shows its rate in how many new entries each
    poll finds; a 304 shows nothing new, so the stored gap only grows with the
    age of the newest entry.
    """
    from_dates = publishing_gap(facts.entry_dates, facts.now)
    if from_dates is not None:
        return from_dates
    stored = previous.published_gap_s if previous else None
    if facts.new_entries and last_polled_at is not None and not facts.entry_dates:
        elapsed = (facts.now - last_polled_at).total_seconds()
        if elapsed > 0:
            return max(1, int(elapsed / facts.new_entries))
    newest = previous.newest_entry_at if previous else None
    if stored is not None and newest is not None:
        return max(stored, int((facts.now - newest).total_seconds()))
    return stored


def hinted_interval(facts: PollFacts) -> int | None:
    """The longest wait the server or the feed asks for (caching, ttl); None without hints."""
    hints = [h for h in (facts.max_age_s, facts.feed_ttl_s) if h]
    if facts.expires_at is not None:
        hints.append(int((facts.expires_at - facts.now).total_seconds()))
    hints = [h for h in hints if h > 0]
    return max(hints) if hints else None


def normal_interval(gap: int | None, facts: PollFacts, limits: Limits) -> int:
    """The delay to the next poll of a healthy feed: half its publishing gap, lengthened by hints, within limits."""
    base = gap // 2 if gap is not None else limits.default_interval_s
    hint = hinted_interval(facts)
    if hint is not None:
        base = max(base, hint)
    return clamp(base, limits)


def clamp(seconds: int, limits: Limits) -> int:
    return max(limits.min_interval_s, min(seconds, max(limits.max_interval_s, limits.min_interval_s)))


def backoff_delay(error_count: int, interval_s: int, limits: Limits) -> int:
    """The delay after the ``error_count``-th failure in a row: the interval doubled per failure, up to the maximum."""
    ceiling = max(limits.max_interval_s, limits.min_interval_s)
    delay = max(interval_s, limits.min_interval_s) * 2 ** min(max(error_count - 1, 0), 30)
    return min(delay, ceiling)


def with_jitter(delay_s: int, jitter: float, draw: float) -> int:
    """``delay_s`` plus up to ``jitter`` of it; ``draw`` is a random number in [0, 1)."""
    return delay_s + int(delay_s * jitter * draw)


def newest_date(entry_dates: tuple[datetime, ...], now: datetime, previous: datetime | None) -> datetime | None:
    past = [d for d in entry_dates if d <= now]
    candidates = past + ([previous] if previous else [])
    return max(candidates) if candidates else None


def after_poll(previous: FeedSchedule | None, facts: PollFacts, limits: Limits, draw: float,
               last_polled_at: datetime | None = None) -> FeedSchedule:
    """The feed's schedule after a poll that went as ``facts`` says.

    ``previous`` is None for a feed never scheduled; ``draw`` is a random
    number in [0, 1) for the jitter.
    """
    gap = estimate_gap(previous, facts, last_polled_at)
    newest = newest_date(facts.entry_dates, facts.now, previous.newest_entry_at if previous else None)
    if facts.ok:
        interval = normal_interval(gap, facts, limits)
        delay = with_jitter(interval, limits.jitter, draw)
        return FeedSchedule(interval_s=interval, next_poll_at=facts.now + timedelta(seconds=delay),
                            published_gap_s=gap, newest_entry_at=newest)
    interval = previous.interval_s if previous else clamp(limits.default_interval_s, limits)
    error_count = (previous.error_count if previous else 0) + 1
    asked_to_wait = facts.retry_after_s is not None and facts.status in (429, 503)
    # A server that says when to come back is alive: waiting it out is no failure towards disabling.
    # ... and the failures before it are over: the clock starts again at the next real failure.
    failing_since = None if asked_to_wait else (previous.failing_since if previous else None) or facts.now
    delay = with_jitter(backoff_delay(error_count, interval, limits), limits.jitter, draw)
    if asked_to_wait:
        assert facts.retry_after_s is not None
        delay = max(delay, min(facts.retry_after_s, MAX_RETRY_AFTER_S))
    schedule = FeedSchedule(interval_s=interval, next_poll_at=facts.now + timedelta(seconds=delay),
                            error_count=error_count, failing_since=failing_since,
                            published_gap_s=gap, newest_entry_at=newest)
    return replace(schedule, disabled_reason=disable_reason(schedule, facts, limits))


def disable_reason(schedule: FeedSchedule, facts: PollFacts, limits: Limits) -> str | None:
    """Why a failing feed should no longer be polled, or None to keep trying."""
    if facts.status == 410:
        return "HTTP 410 Gone: the server says the feed was removed for good"
    if facts.retry_after_s is not None and facts.status in (429, 503):
        return None  # the server asked for a pause, and gets it (after_poll)
    failing_for = (facts.now - schedule.failing_since).total_seconds() if schedule.failing_since else 0
    if failing_for >= limits.disable_after_s:
        days = failing_for / 86400
        return (f"failed {schedule.error_count} times in a row over {days:.1f} days; "
                f"last error: {facts.error or 'unknown'}")
    return None


def limits_of(poll: PollSettings, feed: FeedSettings | None = None) -> Limits:
    """The schedule's limits from the config's [poll], with a feed's own minimum and maximum where it has them."""
    return Limits(min_interval_s=(feed.min_interval if feed else None) or poll.min_interval,
                  max_interval_s=(feed.max_interval if feed else None) or poll.max_interval,
                  default_interval_s=poll.default_interval, jitter=poll.jitter, disable_after_s=poll.disable_after)
