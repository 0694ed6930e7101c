"""The command line: every command documented, feeds management, reading the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, STORY, Response, article_html, rss
from newsd.daemon import clidoc

COMMANDS = [" ".join(path) for path, _ in clidoc.iter_commands(clidoc.cli)]


def test_cli_reference_is_up_to_date():
    """docs/cli.md is generated from --help; regenerate with `make docs`."""
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == clidoc.render()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command, run_cli):
    result = run_cli(*command.split(), "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
    assert f"## newsd {command}\n" in (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"`newsd {command.split()[0]}" in (REPO / "README.md").read_text(encoding="utf-8")


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "newsd.daemon", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("newsd, version ")


def test_config_check_prints_effective_settings(write_config, run_cli, tmp_path):
    config = write_config("https://example.org/feed.xml", http="timeout = 7")
    result = run_cli("--config", str(config), "--db", str(tmp_path / "x.db"), "config", "check", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["http"]["timeout"] == 7.0 and data["storage"]["path"] == str(tmp_path / "x.db")
    assert data["feeds"][0]["url"] == "https://example.org/feed.xml"
    assert "valid" in run_cli("--config", str(config), "config", "check").output


def test_config_error_exits_2_with_file_key_and_hint(tmp_path, run_cli):
    config = tmp_path / "bad.toml"
    config.write_text('[http]\ntimout = 5\nmax_bytes = "big"\n[[feeds]]\nurl = "ftp://x"\n', encoding="utf-8")
    result = run_cli("--config", str(config), "fetch")
    assert result.exit_code == 2
    assert f"{config}: http.timout: unknown key (did you mean 'timeout'?)" in result.output
    assert "http.max_bytes: expected a positive integer" in result.output
    assert "feeds[0].url: unsupported scheme 'ftp'" in result.output
    assert "Traceback" not in result.output


def test_newsd_db_env_overrides_store_path(write_config, run_cli, tmp_path):
    config = write_config()
    result = run_cli("--config", str(config), "config", "check", "--json", env={"NEWSD_DB": str(tmp_path / "env.db")})
    assert json.loads(result.stdout)["storage"]["path"] == str(tmp_path / "env.db")


def test_feeds_add_list_remove(write_config, run_cli, tmp_path):
    config = str(write_config("https://example.org/configured.xml"))
    added = run_cli("--config", config, "feeds", "add", "https://example.org/extra.xml", "--name", "Extra", "--tag", "x")
    assert added.exit_code == 0 and "Added" in added.output
    listed = json.loads(run_cli("--config", config, "feeds", "list", "--format", "json").stdout)
    assert {(f["url"], f["origin"]) for f in listed} == {
        ("https://example.org/configured.xml", "config"), ("https://example.org/extra.xml", "cli")}
    extra = next(f for f in listed if f["origin"] == "cli")
    assert extra["name"] == "Extra" and extra["tags"] == ["x"]
    assert "Extra" in run_cli("--config", config, "feeds", "list").output

    refused = run_cli("--config", config, "feeds", "remove", "https://example.org/configured.xml")
    assert refused.exit_code == 2 and "remove its [[feeds]] table there" in refused.output
    assert run_cli("--config", config, "feeds", "remove", "https://example.org/extra.xml").exit_code == 0
    missing = run_cli("--config", config, "feeds", "remove", "https://example.org/extra.xml")
    assert missing.exit_code == 2 and "unknown feed" in missing.output
    run_cli("--config", config, "feeds", "add", "https://example.org/named.xml", "--name", "Loop A")
    by_name = run_cli("--config", config, "feeds", "remove", "loop a")  # by name, any case, as 'feeds enable'
    assert by_name.exit_code == 0 and "Removed https://example.org/named.xml" in by_name.output
    run_cli("--config", config, "feeds", "add", "https://a.example.org/rss", "--name", "News")
    run_cli("--config", config, "feeds", "add", "https://b.example.org/rss", "--name", "news")
    ambiguous = run_cli("--config", config, "feeds", "remove", "News")
    assert ambiguous.exit_code == 2 and "2 feeds are named 'News'" in ambiguous.output
    assert "https://a.example.org/rss" in run_cli("--config", config, "feeds", "list").output  # nothing removed
    bad = run_cli("--config", config, "feeds", "add", "example.org/rss")
    assert bad.exit_code == 2 and "https://example.org/rss" in bad.output


def test_feeds_import_and_export_opml(write_config, run_cli, tmp_path):
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>'
        '<outline text="News"><outline text="One" xmlUrl="https://one.example/rss"/>'
        '<outline text="Two" xmlUrl="https://two.example/atom"/></outline>'
        '<outline text="Bad" xmlUrl="gopher://old.example/"/></body></opml>', encoding="utf-8")
    config = str(write_config())
    result = run_cli("--config", config, "feeds", "import", str(opml))
    assert result.exit_code == 0 and "Imported 2 feeds" in result.output and "gopher" in result.output
    again = run_cli("--config", config, "feeds", "import", str(opml))
    assert "Imported 0 feeds" in again.output and "2 already known" in again.output
    exported = run_cli("--config", config, "feeds", "export").output
    assert 'xmlUrl="https://one.example/rss"' in exported and 'category="News"' in exported
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body>", encoding="utf-8")
    failed = run_cli("--config", config, "feeds", "import", str(broken))
    assert failed.exit_code == 2 and "not well-formed XML" in failed.output


@pytest.fixture
def filled_store(server, write_config, run_cli, tmp_path) -> str:
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Bike lanes approved", "guid": "tag:example.org,2025:b", "link": server.url("/b.html"), "pubDate": "Tue, 10 Jun 2025 08:00:00 GMT"},
        {"title": "Tram line delayed", "guid": "tag:example.org,2025:t", "link": server.url("/t.html"), "pubDate": "Tue, 10 Jun 2024 08:00:00 GMT"},
    ]), headers={"Content-Type": "application/rss+xml"})
    server.routes["/b.html"] = Response(article_html("Bike lanes approved", STORY), headers={"Content-Type": "text/html"})
    # A story of its own: a copy of STORY with two words changed would be one story, deduplicated.
    tram = [
        "The opening of the new tram line to the airport will slip by at least eight months, the transport authority told the city council on Monday.",
        "Engineers found cracks in two bridge sections along the route, and the contractor has asked for more time to replace them before any trains run.",
        "Commuters groups said the delay was the third in two years and called for an independent review of the project's budget and timetable.",
    ]
    server.routes["/t.html"] = Response(article_html("Tram line delayed", tram), headers={"Content-Type": "text/html"})
    config = str(write_config(server.url("/feed.xml")))
    assert run_cli("--config", config, "fetch").exit_code == 0
    return config


def test_search_formats_and_since(filled_store, run_cli):
    rows = json.loads(run_cli("--config", filled_store, "search", "bicycle", "--format", "json").stdout)
    assert [r["title"] for r in rows] == ["Bike lanes approved"]
    assert "[bicycle]" in rows[0]["snippet"]
    table = run_cli("--config", filled_store, "search", "council").output
    assert "Bike lanes approved" in table and "Tram line delayed" in table
    lines = run_cli("--config", filled_store, "search", "council", "--format", "jsonl").output.splitlines()
    assert len(lines) == 2 and all(json.loads(line)["id"] for line in lines)
    recent = json.loads(run_cli("--config", filled_store, "search", "council", "--since", "2025-01-01", "--format", "json").stdout)
    assert [r["title"] for r in recent] == ["Bike lanes approved"]
    odd = run_cli("--config", filled_store, "search", '"unbalanced AND')
    assert odd.exit_code == 0
    bad_date = run_cli("--config", filled_store, "search", "x", "--since", "last tuesday")
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output


def test_show_and_stats(filled_store, run_cli):
    row = json.loads(run_cli("--config", filled_store, "search", "bicycle", "--format", "json").stdout)[0]
    shown = run_cli("--config", filled_store, "show", str(row["id"])).output
    assert shown.startswith(f"[{row['id']}] Bike lanes approved")
    assert STORY[1] in shown and "Sources (1):" in shown
    data = json.loads(run_cli("--config", filled_store, "show", str(row["id"]), "--format", "json").stdout)
    assert data["text_source"] == "page" and data["sources"][0]["guid"] == "tag:example.org,2025:b" and isinstance(data["authors"], list)
    missing = run_cli("--config", filled_store, "show", "999")
    assert missing.exit_code == 2 and "no article with id 999" in missing.output
    stats = json.loads(run_cli("--config", filled_store, "stats", "--format", "json").stdout)
    assert (stats["feeds"], stats["articles"], stats["sources"], stats["polls"]) == (1, 2, 2, 1)
    assert stats["per_feed"][0]["articles"] == 2
    assert "Articles: 2" in run_cli("--config", filled_store, "stats").output
    listed = run_cli("--config", filled_store, "articles").output
    assert "Bike lanes approved" in listed and "Tram line delayed" in listed


def test_search_without_words_is_a_usage_error(filled_store, run_cli):
    for query in ("", "   ", '"'):
        result = run_cli("--config", filled_store, "search", query)
        assert result.exit_code == 2 and "no words to search for" in result.output


def test_reading_commands_do_not_create_a_store(write_config, run_cli, tmp_path):
    missing = tmp_path / "typo" / "x.db"
    for command in (["search", "raqqa"], ["articles"], ["stats"], ["show", "1"]):
        result = run_cli("--config", str(write_config()), "--db", str(missing), *command)
        assert result.exit_code == 2 and "no store here yet" in result.output
    assert not missing.parent.exists()


def test_reading_commands_leave_an_empty_file_alone(write_config, run_cli, tmp_path):
    # SQLite takes a 0-byte file for an empty database: a mistyped --db must not turn it into a store.
    empty = tmp_path / "notes.html"
    empty.touch()
    for command in (["search", "raqqa"], ["articles"], ["stats"], ["show", "1"], ["status"]):
        result = run_cli("--config", str(write_config()), "--db", str(empty), *command)
        assert result.exit_code == 2 and "no store here yet" in result.output, command
    assert empty.stat().st_size == 0


def test_fetch_feed_accepts_paths_and_names_in_any_case(tmp_path, write_config, run_cli, monkeypatch):
    (tmp_path / "local.xml").write_text(rss([{"title": "L", "guid": "l", "description": "Local text."}]), encoding="utf-8")
    config = str(write_config())
    monkeypatch.chdir(tmp_path)
    assert run_cli("--config", config, "feeds", "add", "./local.xml", "--name", "My Local").exit_code == 0
    by_path = run_cli("--config", config, "fetch", "--feed", "./local.xml", "--json")
    assert by_path.exit_code == 0 and json.loads(by_path.stdout)["articles_new"] == 1
    by_name = run_cli("--config", config, "fetch", "--feed", "my local", "--json")
    assert by_name.exit_code == 0 and json.loads(by_name.stdout)["feeds_polled"] == 1


def test_adding_a_local_feed_that_does_not_exist_warns(tmp_path, write_config, run_cli, monkeypatch):
    config = str(write_config())
    monkeypatch.chdir(tmp_path)
    missing = run_cli("--config", config, "feeds", "add", "./nowhere.xml")
    assert missing.exit_code == 0 and "warning: feed file" in missing.stderr and "does not exist" in missing.stderr
    (tmp_path / "here.xml").write_text(rss([]), encoding="utf-8")
    present = run_cli("--config", config, "feeds", "add", "./here.xml")
    assert present.exit_code == 0 and "warning" not in present.stderr


def test_adding_a_feed_again_keeps_what_was_not_given(write_config, run_cli):
    config = str(write_config())
    run_cli("--config", config, "feeds", "add", "https://e.example/rss", "--name", "Ex", "--tag", "a")
    run_cli("--config", config, "feeds", "add", "https://e.example/rss", "--tag", "b")
    feed, = json.loads(run_cli("--config", config, "feeds", "list", "--format", "json").stdout)
    assert feed["name"] == "Ex" and feed["tags"] == ["b"]


def test_export_never_overwrites_without_force(write_config, run_cli, tmp_path):
    config = str(write_config())
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    refused = run_cli("--config", config, "feeds", "export", "-o", str(precious))
    assert refused.exit_code == 2 and "--force" in refused.output
    assert precious.read_text(encoding="utf-8") == "keep me"
    assert run_cli("--config", config, "feeds", "export", "-o", str(precious), "--force").exit_code == 0
    assert precious.read_text(encoding="utf-8").startswith("<?xml")


def test_config_init_writes_a_starter_that_works_anywhere(tmp_path, run_cli, monkeypatch):
    target = tmp_path / "conf" / "newsd.toml"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert run_cli("config", "init", str(target)).exit_code == 0
    again = run_cli("config", "init", str(target))
    assert again.exit_code == 2 and "--force" in again.output
    monkeypatch.chdir(tmp_path)  # anywhere but the config's folder
    data = json.loads(run_cli("--config", str(target), "config", "check", "--json").stdout)
    assert data["storage"]["path"] == str(tmp_path / "data" / "newsd" / "newsd.db")
    sample = next(f["url"] for f in data["feeds"] if f["name"] == "newsd sample site")
    assert sample == (REPO / "config" / "sample" / "feed.xml").as_uri()
    fetched = run_cli("--config", str(target), "fetch", "--feed", "newsd sample site", "--json")
    assert json.loads(fetched.stdout)["articles_new"] == 2


def test_config_check_says_when_it_uses_the_bundled_example_and_warns_of_missing_files(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NEWSD_CONFIG", raising=False)
    bundled = run_cli("config", "check")
    assert "no config file found; using the bundled example" in bundled.output
    config = tmp_path / "newsd.toml"
    config.write_text('[[feeds]]\nurl = "archive/missing.xml"\n', encoding="utf-8")
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 0 and "warning: feed file" in result.output and "missing.xml" in result.output


def test_a_busy_store_is_exit_2_with_a_clear_message(write_config, run_cli, tmp_path):
    import sqlite3 as sqlite

    config = str(write_config())
    run_cli("--config", config, "feeds", "list")  # creates the store
    blocker = sqlite.connect(tmp_path / "newsd.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        from newsd.storage import store as store_module

        original = store_module.BUSY_TIMEOUT_MS
        store_module.BUSY_TIMEOUT_MS = 200  # do not wait the full 5 s in a test
        try:
            result = run_cli("--config", config, "feeds", "add", "https://e.example/rss")
        finally:
            store_module.BUSY_TIMEOUT_MS = original
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.exit_code == 2 and "busy" in result.output and "Traceback" not in result.output


def test_removing_a_feed_of_the_bundled_example_says_how_to_get_a_config_of_ones_own(run_cli, tmp_path):
    from newsd.config.loader import bundled_example_path

    example = str(bundled_example_path())
    feed = "https://feeds.bbci.co.uk/news/world/rss.xml"
    result = run_cli("--config", example, "--db", str(tmp_path / "n.db"), "feeds", "remove", feed)
    assert result.exit_code == 2 and "newsd config init PATH" in result.output
