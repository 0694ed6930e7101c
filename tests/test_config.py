"""Config lookup, loading and validation."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newsd.config import ConfigError, Settings, bundled_example_path, find_config, load_settings
from newsd.config.validate import normalise_feed_url, parse_settings


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config from the real home directory, environment or working directory leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NEWSD_CONFIG", raising=False)
    monkeypatch.delenv("NEWSD_DB", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_text(db: str = "store.db", url: str = "https://example.com/rss") -> str:
    return f'[storage]\npath = "{db}"\n\n[[feeds]]\nurl = "{url}"\n'


def problems_of(raw: dict, base_dir: Path = Path("/cfg")) -> list[str]:
    return parse_settings(raw, "test.toml", base_dir)[1]


# -- lookup order -----------------------------------------------------------------


def test_cli_path_beats_env_and_working_directory(tmp_path):
    cli = write(tmp_path / "cli.toml", config_text("cli.db"))
    env_file = write(tmp_path / "env.toml", config_text("env.db"))
    write(Path("newsd.toml"), config_text("cwd.db"))
    env = {"NEWSD_CONFIG": str(env_file)}
    assert find_config(str(cli), env) == cli
    assert load_settings(str(cli), env=env).storage.path == Path("cli.db")


def test_env_beats_working_directory(tmp_path):
    env_file = write(tmp_path / "env.toml", config_text("env.db"))
    write(Path("newsd.toml"), config_text("cwd.db"))
    env = {"NEWSD_CONFIG": str(env_file)}
    assert find_config(None, env) == env_file
    assert load_settings(None, env=env).storage.path == Path("env.db")


def test_working_directory_config_is_found():
    write(Path("newsd.toml"), config_text("cwd.db"))
    assert find_config(None, {}).resolve() == (Path.cwd() / "newsd.toml").resolve()
    assert load_settings(None, env={}).storage.path == Path("cwd.db")


def test_user_config_is_found_when_working_directory_has_none():
    user = write(Path.home() / ".config" / "newsd" / "newsd.toml", config_text("user.db"))
    assert find_config(None, {}) == user


def test_bundled_example_is_used_when_no_config_exists():
    if Path("/etc/newsd/newsd.toml").exists():
        pytest.skip("this machine has /etc/newsd/newsd.toml")
    assert find_config(None, {}) == bundled_example_path()
    settings = load_settings(None, env={})
    assert settings.source == str(bundled_example_path())
    assert settings.feeds


def test_missing_cli_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(str(tmp_path / "nope.toml"), env={})
    assert "nope.toml" in str(caught.value)
    assert "--config" in str(caught.value)


def test_missing_env_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\$NEWSD_CONFIG"):
        find_config(None, {"NEWSD_CONFIG": str(tmp_path / "gone.toml")})


def test_os_environment_is_the_default(tmp_path, monkeypatch):
    env_file = write(tmp_path / "env.toml", config_text("from-os-env.db"))
    monkeypatch.setenv("NEWSD_CONFIG", str(env_file))
    assert load_settings().storage.path == Path("from-os-env.db")


# -- store path overrides -------------------------------------------------------------


def test_db_argument_overrides_storage_path(tmp_path):
    cli = write(tmp_path / "c.toml", config_text("config.db"))
    assert load_settings(str(cli), db="/tmp/x/flag.db", env={"NEWSD_DB": "env.db"}).storage.path == Path("/tmp/x/flag.db")


def test_env_db_overrides_storage_path(tmp_path):
    cli = write(tmp_path / "c.toml", config_text("config.db"))
    assert load_settings(str(cli), env={"NEWSD_DB": "env.db"}).storage.path == Path("env.db")
    assert load_settings(str(cli), env={}).storage.path == Path("config.db")


# -- validation ---------------------------------------------------------------------


def test_unknown_key_suggests_the_close_one():
    problems = problems_of({"http": {"timout": 5}})
    assert len(problems) == 1
    assert "http.timout" in problems[0]
    assert "unknown key" in problems[0]
    assert "did you mean 'timeout'?" in problems[0]


def test_unknown_section_is_reported():
    (problem,) = problems_of({"htp": {}})
    assert "unknown key" in problem and "'http'" in problem


def test_unknown_key_without_close_match_lists_the_known_keys():
    (problem,) = problems_of({"storage": {"zzzzzz": 1}})
    assert "known keys" in problem and "path" in problem


def test_wrong_type_names_the_key_and_the_type():
    (problem,) = problems_of({"http": {"timeout": "fast"}})
    assert "http.timeout" in problem
    assert "number" in problem and "str" in problem


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("http", "max_bytes", -1),
        ("http", "max_redirects", True),
        ("http", "user_agent", ""),
        ("http", "max_per_host", 1.5),
        ("storage", "path", 42),
    ],
)
def test_more_wrong_values_name_their_key(table, key, value):
    (problem,) = problems_of({table: {key: value}})
    assert f"{table}.{key}" in problem and "expected" in problem


@pytest.mark.parametrize("url", ["ftp://x", "http://", "example.com/rss", "https://", "http://exa mple.com/feed",
                                 "https:/example.com/rss", "htp:/nonsense", "https:example.com/rss"])
def test_bad_feed_url_names_the_feed(url):
    (problem,) = problems_of({"feeds": [{"url": url}]})
    assert "feeds[0].url" in problem
    assert url in problem


def test_url_without_scheme_suggests_https():
    (problem,) = problems_of({"feeds": [{"url": "example.com/rss"}]})
    assert "https://example.com/rss" in problem


def test_a_scheme_missing_a_slash_is_a_typo_not_a_file_name():
    (problem,) = problems_of({"feeds": [{"url": "https:/example.com/rss"}]})
    assert "mistyped scheme" in problem and "https://example.com/rss" in problem


@pytest.mark.parametrize("url", ["https://ตัวอย่าง.ไทย/rss", "http://उदाहरण.भारत/rss", "https://bücher.de/rss",
                                 "https://пример.рф/x", "http://[::1]:8080/f", "http://[fe80::1%25eth0]:80/f",
                                 "http://user:pw@host.example/f", "http://exa_mple.com./", "http://xn--bcher-kva.de/"])
def test_hosts_in_every_script_and_ip_addresses_are_accepted(url):
    assert normalise_feed_url(url, Path("/cfg")) == url


def test_a_file_uri_with_one_slash_is_a_file_and_http_stays_http_in_the_advice():
    assert normalise_feed_url("file:/home/me/feed.xml", Path("/cfg")) == "file:///home/me/feed.xml"
    with pytest.raises(ValueError, match="write 'http://intranet.local/feed'"):
        normalise_feed_url("http:/intranet.local/feed", Path("/cfg"))


def test_a_tab_in_a_url_is_refused_not_stored():
    with pytest.raises(ValueError, match="control character"):
        normalise_feed_url("http://exa\tmple.com/feed", Path("/cfg"))


def test_a_host_with_a_space_is_refused_before_the_first_poll():
    (problem,) = problems_of({"feeds": [{"url": "http://exa mple.com/feed"}]})
    assert "invalid host name 'exa mple.com'" in problem


def test_missing_feed_url_is_reported():
    (problem,) = problems_of({"feeds": [{"name": "no url"}]})
    assert "feeds[0].url" in problem and "missing" in problem


def test_duplicate_feed_urls_are_an_error():
    problems = problems_of({"feeds": [{"url": "https://e.com/rss"}, {"url": "https://x.com/"}, {"url": "https://e.com/rss"}]})
    assert len(problems) == 1
    assert "feeds[2].url" in problems[0] and "duplicate" in problems[0] and "feeds[0]" in problems[0]


def test_all_problems_are_reported_at_once():
    problems = problems_of({"http": {"timout": 1, "max_bytes": "x"}, "feeds": [{"url": "ftp://x"}]})
    assert len(problems) == 3
    assert all(p.startswith("test.toml: ") for p in problems)


def test_valid_settings_have_the_given_values():
    raw = {
        "storage": {"path": "data/news.db"},
        "http": {"timeout": 7, "user_agent": "me/1.0"},
        "feeds": [{"url": "https://e.com/rss", "name": "E", "tags": ["a", "b"], "enabled": False}],
    }
    settings, problems = parse_settings(raw, "test.toml", Path("/cfg"))
    assert problems == []
    assert isinstance(settings, Settings)
    assert settings.storage.path == Path("data/news.db")
    assert settings.http.timeout == 7.0 and isinstance(settings.http.timeout, float)
    assert settings.http.user_agent == "me/1.0"
    assert settings.http.max_redirects == 5  # untouched default
    (feed,) = settings.feeds
    assert (feed.url, feed.name, feed.tags, feed.enabled) == ("https://e.com/rss", "E", ("a", "b"), False)


# -- feed URLs ------------------------------------------------------------------------


def test_relative_local_feed_path_resolves_against_the_config_directory(tmp_path):
    conf_dir = tmp_path / "conf"
    write(conf_dir / "feeds" / "local.xml", "<rss/>")
    cli = write(conf_dir / "newsd.toml", config_text(url="feeds/local.xml"))
    (feed,) = load_settings(str(cli), env={}).feeds
    assert feed.url == (conf_dir / "feeds" / "local.xml").resolve().as_uri()
    assert feed.url.startswith("file:///")


def test_normalise_feed_url():
    base = Path("/cfg/dir")
    assert normalise_feed_url("https://e.com/rss", base) == "https://e.com/rss"
    assert normalise_feed_url("  http://e.com/rss ", base) == "http://e.com/rss"
    assert normalise_feed_url("sample/feed.xml", base) == "file:///cfg/dir/sample/feed.xml"
    assert normalise_feed_url("./feed.xml", base) == "file:///cfg/dir/feed.xml"
    assert normalise_feed_url("/abs/feed.xml", base) == "file:///abs/feed.xml"
    assert normalise_feed_url("file:///abs/feed.xml", base) == "file:///abs/feed.xml"


@pytest.mark.parametrize("bad", ["", "   ", "ftp://x", "http://", "https://e.com:99999/", "example.com/rss", "www.example.org"])
def test_normalise_feed_url_rejects(bad):
    with pytest.raises(ValueError):
        normalise_feed_url(bad, Path("/cfg"))


# -- files ----------------------------------------------------------------------------


def test_invalid_toml_names_the_file(tmp_path):
    cli = write(tmp_path / "broken.toml", "[storage\npath = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(str(cli), env={})
    assert str(cli) in str(caught.value)
    assert "TOML" in str(caught.value)


def test_invalid_settings_raise_config_error_listing_problems(tmp_path):
    cli = write(tmp_path / "bad.toml", '[http]\ntimout = 5\n\n[[feeds]]\nurl = "ftp://x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(str(cli), env={})
    message = str(caught.value)
    assert "did you mean 'timeout'?" in message and "feeds[0].url" in message and str(cli) in message


def test_bundled_example_validates_and_has_the_sample_feed():
    path = bundled_example_path()
    assert path.is_file()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    settings, problems = parse_settings(raw, str(path), path.resolve().parent)
    assert problems == []
    assert any(f.url.endswith("sample/feed.xml") for f in settings.feeds)
    sample = next(f for f in settings.feeds if f.url.endswith("sample/feed.xml"))
    assert sample.url.startswith("file:///")
    assert Path(sample.url.removeprefix("file://")).is_file()


def test_bundled_example_loads_through_load_settings():
    settings = load_settings(str(bundled_example_path()), env={})
    assert any(f.url.endswith("sample/feed.xml") for f in settings.feeds)
    assert len({f.url for f in settings.feeds}) == len(settings.feeds)


def test_keep_html_and_site_learning_settings():
    raw = {"storage": {"keep_html": False}, "site_learning": {"enabled": False, "min_articles": 4, "min_share": 1}}
    settings, problems = parse_settings(raw, "test.toml", Path("/cfg"))
    assert problems == []
    assert settings.storage.keep_html is False
    learning = settings.site_learning
    assert (learning.enabled, learning.min_articles, learning.min_share) == (False, 4, 1.0)
    assert settings.as_dict()["storage"]["keep_html"] is False
    assert settings.as_dict()["site_learning"] == {"enabled": False, "min_articles": 4, "min_share": 1.0}
    defaults, _ = parse_settings({}, "test.toml", Path("/cfg"))
    assert defaults.storage.keep_html is True
    assert (defaults.site_learning.enabled, defaults.site_learning.min_articles, defaults.site_learning.min_share) == (True, 3, 0.5)


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("storage", "keep_html", "no"),
        ("site_learning", "enabled", 1),
        ("site_learning", "min_articles", 1),
        ("site_learning", "min_articles", 2.5),
        ("site_learning", "min_share", 0),
        ("site_learning", "min_share", 1.5),
    ],
)
def test_bad_keep_html_and_site_learning_values_name_their_key(table, key, value):
    (problem,) = problems_of({table: {key: value}})
    assert f"{table}.{key}" in problem and "expected" in problem


def test_db_override_keeps_the_other_storage_settings(tmp_path):
    cli = write(tmp_path / "cli.toml", '[storage]\npath = "config.db"\nkeep_html = false\n')
    settings = load_settings(str(cli), db="flag.db", env={})
    assert settings.storage.path == Path("flag.db") and settings.storage.keep_html is False


def test_boilerplate_keys_written_on_a_feed_point_to_its_boilerplate_table():
    (problem,) = problems_of({"feeds": [{"url": "https://example.org/feed.xml", "disable": ["byline"]}]})
    assert "feeds[0].disable: unknown key" in problem
    assert "boilerplate = { disable = [...] } in the feed" in problem


def test_boilerplate_keys_at_the_top_of_the_file_point_to_the_boilerplate_section():
    (problem,) = problems_of({"rules": []})
    assert "rules: unknown key" in problem and "a [boilerplate] section" in problem
