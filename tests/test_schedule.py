"""The polling arithmetic: pure functions, time passed in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from newsd.daemon.schedule import (
    MAX_RETRY_AFTER_S, FeedSchedule, Limits, PollFacts, after_poll, backoff_delay, feed_ttl_seconds, publishing_gap,
    with_jitter,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
LIMITS = Limits(min_interval_s=600, max_interval_s=86400, default_interval_s=3600, jitter=0.1, disable_after_s=3 * 86400)


def hours_ago(*hours: float) -> tuple[datetime, ...]:
    return tuple(NOW - timedelta(hours=h) for h in hours)


def delay_of(schedule: FeedSchedule, now: datetime = NOW) -> float:
    return (schedule.next_poll_at - now).total_seconds()


def test_interval_is_half_the_publishing_gap():
    # ten entries, one every two hours: poll every hour
    facts = PollFacts(now=NOW, ok=True, status=200, entry_dates=hours_ago(*range(2, 21, 2)))
    schedule = after_poll(None, facts, LIMITS, draw=0.0)
    assert schedule.published_gap_s == 2 * 3600
    assert schedule.interval_s == 3600
    assert delay_of(schedule) == 3600


def test_a_busy_feed_is_held_at_the_minimum_and_a_quiet_one_at_the_maximum():
    busy = PollFacts(now=NOW, ok=True, status=200, entry_dates=tuple(NOW - timedelta(minutes=m) for m in range(1, 11)))
    quiet = PollFacts(now=NOW, ok=True, status=200, entry_dates=hours_ago(24 * 30, 24 * 60))
    assert after_poll(None, busy, LIMITS, 0.0).interval_s == LIMITS.min_interval_s
    assert after_poll(None, quiet, LIMITS, 0.0).interval_s == LIMITS.max_interval_s


def test_without_dates_the_rate_comes_from_new_entries_per_elapsed_time():
    facts = PollFacts(now=NOW, ok=True, status=200, new_entries=4)
    schedule = after_poll(None, facts, LIMITS, 0.0, last_polled_at=NOW - timedelta(hours=8))
    assert schedule.published_gap_s == 2 * 3600
    assert schedule.interval_s == 3600


def test_an_unknown_rate_uses_the_default_interval():
    schedule = after_poll(None, PollFacts(now=NOW, ok=True, status=200), LIMITS, 0.0)
    assert schedule.interval_s == LIMITS.default_interval_s


def test_a_feed_gone_quiet_drifts_to_longer_intervals_on_304():
    first = after_poll(None, PollFacts(now=NOW, ok=True, status=200, entry_dates=hours_ago(*range(1, 11))), LIMITS, 0.0)
    later = NOW + timedelta(hours=12)
    second = after_poll(first, PollFacts(now=later, ok=True, status=304), LIMITS, 0.0)
    assert first.interval_s < second.interval_s
    assert second.published_gap_s == 13 * 3600  # the newest entry is 13 hours old


def test_cache_hints_lengthen_the_interval_but_not_past_the_maximum():
    dated = hours_ago(*range(1, 11))  # a gap of 1 h: interval 30 min
    assert after_poll(None, PollFacts(now=NOW, ok=True, status=200, entry_dates=dated), LIMITS, 0).interval_s == 1800
    max_age = PollFacts(now=NOW, ok=True, status=200, entry_dates=dated, max_age_s=7200)
    expires = PollFacts(now=NOW, ok=True, status=200, entry_dates=dated, expires_at=NOW + timedelta(hours=3))
    ttl = PollFacts(now=NOW, ok=True, status=200, entry_dates=dated, feed_ttl_s=4 * 3600)
    huge = PollFacts(now=NOW, ok=True, status=200, entry_dates=dated, max_age_s=365 * 86400)
    assert after_poll(None, max_age, LIMITS, 0).interval_s == 7200
    assert after_poll(None, expires, LIMITS, 0).interval_s == 3 * 3600
    assert after_poll(None, ttl, LIMITS, 0).interval_s == 4 * 3600
    assert after_poll(None, huge, LIMITS, 0).interval_s == LIMITS.max_interval_s


def test_hints_never_poll_faster_than_the_minimum():
    facts = PollFacts(now=NOW, ok=True, status=200, max_age_s=5, feed_ttl_s=60,
                      entry_dates=tuple(NOW - timedelta(seconds=s) for s in range(1, 11)))
    assert after_poll(None, facts, LIMITS, 0.99).interval_s == LIMITS.min_interval_s


def test_feed_ttl_from_rss_ttl_and_syndication_module():
    assert feed_ttl_seconds("60", None, None) == 3600
    assert feed_ttl_seconds(None, "hourly", "2") == 1800
    assert feed_ttl_seconds(None, "daily", None) == 86400
    assert feed_ttl_seconds("30", "hourly", "1") == 3600  # the longer of the two
    assert feed_ttl_seconds("soon", "fortnightly", "x") is None


def test_errors_back_off_exponentially_up_to_the_maximum():
    assert [backoff_delay(n, 1800, LIMITS) for n in range(1, 8)] == [1800, 3600, 7200, 14400, 28800, 57600, 86400]
    assert backoff_delay(500, 1800, LIMITS) == LIMITS.max_interval_s


def test_failures_count_up_and_a_success_resets_them():
    schedule = after_poll(None, PollFacts(now=NOW, ok=True, status=200), LIMITS, 0)
    for n in range(1, 4):
        schedule = after_poll(schedule, PollFacts(now=NOW + timedelta(hours=n), ok=False, error="timeout"), LIMITS, 0)
    assert schedule.error_count == 3
    assert schedule.failing_since == NOW + timedelta(hours=1)
    assert delay_of(schedule, NOW + timedelta(hours=3)) == 4 * LIMITS.default_interval_s
    healthy = after_poll(schedule, PollFacts(now=NOW + timedelta(hours=4), ok=True, status=304), LIMITS, 0)
    assert (healthy.error_count, healthy.failing_since, healthy.disabled_reason) == (0, None, None)


def test_retry_after_is_honoured_on_429_and_503_even_beyond_the_maximum():
    for status in (429, 503):
        facts = PollFacts(now=NOW, ok=False, status=status, error=f"HTTP {status}", retry_after_s=2 * 86400)
        assert delay_of(after_poll(None, facts, LIMITS, 0)) == 2 * 86400
    absurd = PollFacts(now=NOW, ok=False, status=503, error="HTTP 503", retry_after_s=10**9)
    assert delay_of(after_poll(None, absurd, LIMITS, 0)) == MAX_RETRY_AFTER_S
    # Retry-After on another status is no instruction to wait
    other = PollFacts(now=NOW, ok=False, status=500, error="HTTP 500", retry_after_s=2 * 86400)
    assert delay_of(after_poll(None, other, LIMITS, 0)) == LIMITS.default_interval_s


def test_a_short_retry_after_does_not_shorten_the_backoff():
    facts = PollFacts(now=NOW, ok=False, status=429, error="HTTP 429", retry_after_s=1)
    assert delay_of(after_poll(None, facts, LIMITS, 0)) == LIMITS.default_interval_s


def test_a_feed_failing_for_disable_after_is_disabled_with_its_reason():
    schedule = None
    moment = NOW
    while moment < NOW + timedelta(days=3):
        schedule = after_poll(schedule, PollFacts(now=moment, ok=False, status=None, error="cannot resolve host"),
                              LIMITS, 0)
        assert schedule.disabled_reason is None
        moment = schedule.next_poll_at
    schedule = after_poll(schedule, PollFacts(now=moment, ok=False, error="cannot resolve host"), LIMITS, 0)
    assert schedule.disabled_reason is not None
    assert "cannot resolve host" in schedule.disabled_reason
    assert f"{schedule.error_count} times" in schedule.disabled_reason


def test_time_spent_waiting_out_retry_after_does_not_count_towards_disabling():
    """A server that says when to come back is alive; a week of 503s with Retry-After disables nothing."""
    schedule = None
    moment = NOW
    while moment < NOW + timedelta(days=10):
        facts = PollFacts(now=moment, ok=False, status=503, error="HTTP 503", retry_after_s=2 * 86400)
        schedule = after_poll(schedule, facts, LIMITS, 0)
        assert (schedule.disabled_reason, schedule.failing_since) == (None, None)
        moment = schedule.next_poll_at
    assert schedule is not None and schedule.error_count >= 5  # still backed off
    # failures before the pause are over too: a real failure starts the clock from then on
    broken = after_poll(schedule, PollFacts(now=moment, ok=False, status=500, error="HTTP 500"), LIMITS, 0)
    assert broken.failing_since == moment


def test_a_retry_after_pause_ends_the_failure_streak_before_it():
    old = after_poll(None, PollFacts(now=NOW, ok=False, status=500, error="HTTP 500"), LIMITS, 0)
    pause = after_poll(old, PollFacts(now=NOW + timedelta(days=6), ok=False, status=503, error="HTTP 503",
                                      retry_after_s=86400), LIMITS, 0)
    later = NOW + timedelta(days=8)
    again = after_poll(pause, PollFacts(now=later, ok=False, status=500, error="HTTP 500"), LIMITS, 0)
    assert (again.failing_since, again.disabled_reason) == (later, None)


def test_410_gone_disables_at_once():
    schedule = after_poll(None, PollFacts(now=NOW, ok=False, status=410, error="HTTP 410 Gone"), LIMITS, 0)
    assert schedule.disabled_reason and "410" in schedule.disabled_reason


@given(interval=st.integers(1, 10**7), jitter=st.floats(0, 1), draw=st.floats(0, 0.999999))
def test_jitter_only_ever_adds_and_stays_within_its_share(interval, jitter, draw):
    delayed = with_jitter(interval, jitter, draw)
    assert interval <= delayed <= interval + interval * jitter


@given(gap=st.lists(st.integers(1, 10**8), min_size=0, max_size=15), draw=st.floats(0, 0.999999),
       max_age=st.none() | st.integers(0, 10**9))
def test_a_healthy_feed_is_never_polled_faster_than_its_minimum(gap, draw, max_age):
    dates = tuple(NOW - timedelta(seconds=s) for s in gap)
    schedule = after_poll(None, PollFacts(now=NOW, ok=True, status=200, entry_dates=dates, max_age_s=max_age),
                          LIMITS, draw)
    assert LIMITS.min_interval_s <= schedule.interval_s <= LIMITS.max_interval_s
    assert delay_of(schedule) >= LIMITS.min_interval_s


def test_publishing_gap_ignores_future_dates_and_needs_two_entries():
    assert publishing_gap((NOW + timedelta(days=1), NOW - timedelta(hours=1)), NOW) is None
    assert publishing_gap(hours_ago(1, 3), NOW) == 3600 * 3 // 2


def test_identical_entry_dates_say_nothing_about_the_pace():
    # a feed stamping all its items with its build time, two minutes ago
    stamped = tuple(NOW - timedelta(minutes=2) for _ in range(20))
    assert publishing_gap(stamped, NOW) is None
    assert after_poll(None, PollFacts(now=NOW, ok=True, status=200, entry_dates=stamped), LIMITS, 0).interval_s \
        == LIMITS.default_interval_s
