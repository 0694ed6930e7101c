"""Users' boilerplate rules in the config: validation, precedence, and use at fetch and re-extract time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsd.config.validate import parse_settings

from conftest import STORY, Response, article_html, rss
from synthetic_site import WITHOUT_MODEL

FOOTER = "This dispatch reached you thanks to the Friends of the Example Gazette."


def settings_of(raw: dict):
    settings, problems = parse_settings(raw, "newsd.toml", Path("/cfg"))
    assert problems == []
    return settings


def problems_of(raw: dict) -> list[str]:
    return parse_settings(raw, "newsd.toml", Path("/cfg"))[1]


def test_a_bad_user_pattern_names_the_file_the_key_and_the_rule():
    raw = {"boilerplate": {"rules": [{"name": "gazette", "patterns": ["(unclosed"]}]}}
    (problem,) = problems_of(raw)
    assert problem.startswith("newsd.toml: boilerplate.rules[0] (gazette): bad pattern")
    assert "Python regular expressions" in problem and "backslash" in problem  # says how to fix it


def test_disabling_an_unknown_name_suggests_the_close_one():
    (problem,) = problems_of({"boilerplate": {"disable": ["see-als"]}})
    assert "boilerplate.disable" in problem and "did you mean 'see-also'" in problem


def test_a_site_entry_needs_its_site():
    problems = problems_of({"boilerplate": {"sites": [{"disable": ["headline"]}]}})
    assert any("boilerplate.sites[0].site: missing" in p for p in problems)


def test_a_feed_boilerplate_key_must_be_a_table():
    problems = problems_of({"feeds": [{"url": "https://example.org/feed", "boilerplate": "off"}]})
    assert any("feeds[0].boilerplate: expected a table" in p for p in problems)


def test_user_rules_can_use_the_shipped_vocabulary():
    settings = settings_of({"boilerplate": {"rules": [{"name": "gazette", "patterns": ["friends of .* <<reader>>?"]}]}})
    assert [r.name for r in settings.rules_for(None, None).rules][0] == "gazette"


def test_global_site_and_feed_overrides_apply_in_that_order():
    feed = "https://example.org/feed.xml"
    settings = settings_of({
        "boilerplate": {"disable": ["see-also"], "sites": [{"site": "www.example.org", "disable": ["headline"]}]},
        "feeds": [{"url": feed, "boilerplate": {"disable": ["byline"]}}],
    })
    assert settings.rules_for(feed, "https://news.example.org/a").disabled == {"see-also", "headline", "byline"}
    assert settings.rules_for(None, "https://other.example/a").disabled == {"see-also"}


def test_a_user_rule_named_like_a_shipped_one_replaces_it():
    settings = settings_of({"boilerplate": {"rules": [{"name": "see-also", "patterns": ["^only this$"]}]}})
    rules = [r for r in settings.rules_for(None, None).rules if r.name == "see-also"]
    assert len(rules) == 1 and rules[0].patterns[0].pattern == "^only this$"


def _page_with_footer(server, path: str) -> str:
    server.routes[path] = Response(article_html("Gazette story", [*STORY, FOOTER]).encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    return server.url(path)


# The shipped paragraph model takes this footer on its own; these tests turn
# it off (WITHOUT_MODEL) so that only the user's rule can remove the footer.


def _stored_texts(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM articles ORDER BY id")]


def test_a_feeds_own_rule_cleans_its_articles_at_fetch_time(server, write_config, run_cli, tmp_path):
    link = _page_with_footer(server, "/a.html")
    server.routes["/feed.xml"] = Response(rss([{"title": "Gazette story", "link": link}]).encode(), headers={"Content-Type": "application/rss+xml"})
    feed = server.url("/feed.xml")
    config = write_config()
    config.write_text(config.read_text() + "\n" + WITHOUT_MODEL + f'''
[[feeds]]
url = "{feed}"
[[feeds.boilerplate.rules]]
name = "gazette-friends"
patterns = ['^This dispatch reached you thanks to']
''')
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    (text,) = _stored_texts(tmp_path / "newsd.db")
    assert STORY[0] in text and FOOTER not in text


def test_reextract_applies_a_rule_added_to_the_config_later(server, write_config, run_cli, tmp_path):
    link = _page_with_footer(server, "/b.html")
    server.routes["/feed.xml"] = Response(rss([{"title": "Gazette story", "link": link}]).encode(), headers={"Content-Type": "application/rss+xml"})
    config = write_config(server.url("/feed.xml"))
    config.write_text(config.read_text() + "\n" + WITHOUT_MODEL)
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    assert FOOTER in _stored_texts(tmp_path / "newsd.db")[0]
    config.write_text(config.read_text() + '''
[[boilerplate.sites]]
site = "127.0.0.1"
[[boilerplate.sites.rules]]
name = "gazette-friends"
patterns = ['thanks to the friends of']
''')
    assert run_cli("--config", str(config), "reextract").exit_code == 0
    assert FOOTER not in _stored_texts(tmp_path / "newsd.db")[0]


def test_a_site_or_feed_can_disable_the_configs_own_global_rule():
    feed = "https://example.org/feed.xml"
    settings = settings_of({
        "boilerplate": {"rules": [{"name": "gazette-footer", "patterns": ["^thanks to the friends"]}],
                        "sites": [{"site": "example.org", "disable": ["gazette-footer"]}]},
        "feeds": [{"url": feed, "boilerplate": {"disable": ["gazette-footer"]}}],
    })
    assert "gazette-footer" in settings.rules_for(feed, "https://example.org/a").disabled
