"""newsd extract: one page's clean text and metadata, and --explain's account of every removal."""

from __future__ import annotations

import json

from conftest import SAMPLE, STORY, Response, article_html

RAQQA = SAMPLE / "raqqa-revolt.html"
DONATION = "If you enjoy OffG's content, please help us make our monthly fund-raising goal and keep the site alive."


def test_a_saved_page_prints_metadata_and_clean_text(run_cli):
    result = run_cli("extract", str(RAQQA))
    assert result.exit_code == 0
    assert result.stdout.startswith("Title:     Reports: Anti-ISIS revolt in Raqqa")
    assert "Residents of the Syrian city of Raqqa" in result.stdout
    assert DONATION not in result.stdout and "Removed (" not in result.stdout


def test_explain_names_the_rule_behind_each_removal(run_cli):
    result = run_cli("extract", str(RAQQA), "--explain")
    assert result.exit_code == 0
    assert f"  [donation-appeal] {DONATION}" in result.stdout.splitlines()


def test_json_carries_the_document_and_with_explain_the_removals(run_cli):
    plain = json.loads(run_cli("extract", str(RAQQA), "--format", "json").stdout)
    assert plain["title"].startswith("Reports: Anti-ISIS revolt") and "removed" not in plain
    explained = json.loads(run_cli("extract", str(RAQQA), "--format", "json", "--explain").stdout)
    assert {"text": DONATION, "rule": "donation-appeal"} in explained["removed"]
    # in the README's order: the document, its address, then what was removed
    assert list(explained)[-3:] == ["canonical_url", "url", "removed"] and list(explained)[0] == "text"


def test_a_url_is_downloaded(run_cli, server):
    server.routes["/story.html"] = Response(article_html("Bike lanes", STORY).encode(),
                                            headers={"Content-Type": "text/html; charset=utf-8"})
    result = run_cli("extract", server.url("/story.html"), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["text"].split("\n\n") == STORY and data["url"] == server.url("/story.html")


def test_a_page_that_is_not_html_is_a_clear_error(run_cli, server):
    server.routes["/data.json"] = Response(b"{}", headers={"Content-Type": "application/json"})
    result = run_cli("extract", server.url("/data.json"))
    assert result.exit_code == 2 and server.url("/data.json") in result.stderr


def test_a_missing_file_is_a_clear_error(run_cli, tmp_path):
    result = run_cli("extract", str(tmp_path / "nope.html"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "http(s) URL" in result.stderr


def test_url_option_must_be_a_web_address(run_cli):
    result = run_cli("extract", str(RAQQA), "--url", "off-guardian.org/x")
    assert result.exit_code == 2 and "--url" in result.stderr


def test_the_configs_site_rules_apply_to_the_page_url(run_cli, tmp_path):
    line = "Residents of the Syrian city of Raqqa"
    config = tmp_path / "newsd.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "newsd.db"}"\n'
                      '[[boilerplate.sites]]\nsite = "off-guardian.org"\n'
                      "[[boilerplate.sites.rules]]\nname = \"raqqa\"\npatterns = ['^residents of the syrian city']\nmax_chars = 1000\n")
    with_site = run_cli("--config", str(config), "extract", str(RAQQA), "--url", "https://off-guardian.org/2016/x/",
                        "--explain")
    elsewhere = run_cli("--config", str(config), "extract", str(RAQQA), "--url", "https://example.org/x/")
    assert f"  [raqqa] {line}" in with_site.stdout and line in elsewhere.stdout
    assert "[raqqa]" not in elsewhere.stdout


def test_explain_names_the_site_statistic_behind_a_learned_removal(server, write_config, run_cli):
    from synthetic_site import FOOTER, STORIES, WITHOUT_MODEL, SyntheticSite

    site = SyntheticSite(server)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL)
    for published in range(1, len(STORIES) + 1):
        site.published = published
        assert run_cli("--config", str(config), "fetch").exit_code == 0
    # Article 1 was stored before the footer was learned; extract applies what the store knows now.
    result = run_cli("--config", str(config), "extract", site.page_url(1), "--explain")
    assert result.exit_code == 0
    text, explanation = result.stdout.split("\nRemoved (")
    assert FOOTER not in text
    assert f"  [site:127.0.0.1 (in 5 of 5 articles)] {FOOTER}" in explanation.splitlines()


def test_a_file_url_is_read_like_a_path(run_cli):
    result = run_cli("extract", RAQQA.as_uri())
    assert result.exit_code == 0 and "Residents of the Syrian city of Raqqa" in result.stdout


def test_a_page_without_an_article_says_so_and_fails(run_cli, tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body></body></html>")
    result = run_cli("extract", str(empty))
    assert result.exit_code == 1
    assert "no article text found" in result.stderr and "ERROR" not in result.stderr


def test_url_option_needs_a_host_and_a_saved_file(run_cli, server):
    assert run_cli("extract", str(RAQQA), "--url", "http://").exit_code == 2
    result = run_cli("extract", server.url("/x.html"), "--url", "https://example.org/x")
    assert result.exit_code == 2 and "--url is for a saved file" in result.stderr


def test_sources_that_are_neither_a_url_nor_a_file_get_a_clear_error(run_cli):
    bad_host = run_cli("extract", "https://[bad/x")
    assert bad_host.exit_code == 2 and "not a valid web address" in bad_host.stderr
    ftp = run_cli("extract", "ftp://example.org/x.html")
    assert ftp.exit_code == 2 and "unsupported scheme 'ftp'" in ftp.stderr
    no_scheme = run_cli("extract", "example.org/story")
    assert no_scheme.exit_code == 2 and "https://example.org/story" in no_scheme.stderr


def test_an_unusable_store_only_costs_the_learned_boilerplate(run_cli, tmp_path):
    not_a_store = tmp_path / "newsd.db"
    not_a_store.write_text("not a database")
    result = run_cli("--db", str(not_a_store), "extract", str(RAQQA), "--url", "https://off-guardian.org/x")
    assert result.exit_code == 0 and "warning: not using the store" in result.stderr
    assert "Residents of the Syrian city of Raqqa" in result.stdout
