"""The systemd units in systemd/: they load cleanly, they are hardened, and
the daemon and the timed one-shot share one user and one state directory.

``systemd-analyze verify`` and ``systemd-analyze security --offline=true``
read unit files without a running systemd, so these tests work in a
container; they skip only when systemd-analyze is not installed (.ci/run
installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT_DIR = Path(__file__).resolve().parent.parent / "systemd"
SERVICE = UNIT_DIR / "newsd.service"
FETCH_SERVICE = UNIT_DIR / "newsd-fetch.service"
FETCH_TIMER = UNIT_DIR / "newsd-fetch.timer"
UNITS = (SERVICE, FETCH_SERVICE, FETCH_TIMER)

MAX_EXPOSURE = 1.5

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> every value assigned, in order (systemd keys repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        assert not line.endswith("\\"), f"{path.name}:{number}: continuation lines are not expected"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}:{number}: setting outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}:{number}: not a key=value line: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    """The value of a key set exactly once."""
    values = unit.get(section, {}).get(key)
    assert values is not None, f"[{section}] {key}= is missing"
    assert len(values) == 1, f"[{section}] {key}= is set {len(values)} times: {values}"
    return values[0]


def environment(unit: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    env = {}
    for value in unit["Service"].get("Environment", []):
        for assignment in value.split():
            name, _, setting = assignment.partition("=")
            env[name] = setting
    return env


def runnable_copy(src: Path, dest_dir: Path) -> Path:
    """A copy of ``src`` whose commands name binaries that exist here.

    /opt/newsd/.venv/bin/newsd only exists on an installed machine, and verify
    rejects a unit whose ExecStart= binary is missing. The arguments stay, so
    the command lines are still parsed.
    """
    true = shutil.which("true") or "/bin/true"
    kill = shutil.which("kill") or true
    text = src.read_text(encoding="utf-8")
    text = text.replace("/opt/newsd/.venv/bin/newsd", true)
    if not os.access("/bin/kill", os.X_OK):
        text = text.replace("/bin/kill", kill)
    dest = dest_dir / src.name
    dest.write_text(text, encoding="utf-8")
    return dest


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        # Plain ASCII output ("->" instead of an arrow), no pager, no colour.
        env={**os.environ, "LC_ALL": "C", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"},
    )


def exposure(unit: Path) -> float:
    result = analyze("security", "--offline=true", str(unit))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    match = re.search(rf"Overall exposure level for {re.escape(unit.name)}: (\d+(?:\.\d+)?)", output)
    assert match, f"no overall exposure line in:\n{output}"
    return float(match.group(1))


# --- systemd-analyze ---------------------------------------------------------


@needs_analyze
@pytest.mark.parametrize("name", [unit.name for unit in UNITS])
def test_unit_verifies_without_warnings(tmp_path: Path, name: str) -> None:
    # All three beside each other: the timer needs its service, and the
    # services name each other in Conflicts=.
    copies = {unit.name: runnable_copy(unit, tmp_path) for unit in UNITS}
    result = analyze("verify", str(copies[name]))
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    # verify exits 0 even for an unknown key or a bad value ("Unknown key
    # 'X' in section [Service], ignoring."), so its output must be read.
    # Every message about our units names the unit or its path; lines about
    # other units (the host's own units pulled in as dependencies, such as
    # network-online.target) are the environment's business, not ours.
    ours = [line for line in output.splitlines() if "newsd" in line or str(tmp_path) in line]
    assert not ours, "\n".join(ours)


@needs_analyze
def test_verify_reports_a_misspelled_directive(tmp_path: Path) -> None:
    # The check above is only worth something if verify does complain here.
    unit = runnable_copy(SERVICE, tmp_path)
    runnable_copy(FETCH_SERVICE, tmp_path)
    unit.write_text(unit.read_text().replace("ProtectClock=yes", "ProtectClok=yes"))
    result = analyze("verify", str(unit))
    assert "ProtectClok" in result.stdout + result.stderr


@needs_analyze
@pytest.mark.parametrize("unit", [SERVICE, FETCH_SERVICE], ids=lambda unit: unit.name)
def test_exposure_is_low(unit: Path) -> None:
    score = exposure(unit)
    assert score <= MAX_EXPOSURE, f"{unit.name}: exposure {score} > {MAX_EXPOSURE}"


# --- what the units say ------------------------------------------------------


def test_daemon_unit_is_a_watched_notify_service() -> None:
    unit = parse_unit(SERVICE)
    assert one(unit, "Service", "Type") == "notify"
    assert one(unit, "Service", "NotifyAccess") == "main"
    assert one(unit, "Service", "WatchdogSec") not in ("", "0", "infinity")
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Service", "RestartSec")
    exec_start = one(unit, "Service", "ExecStart").split()
    assert exec_start[0] == "/opt/newsd/.venv/bin/newsd"
    assert exec_start[1:] == ["--log-format", "json", "run"]
    reload = one(unit, "Service", "ExecReload").split()
    assert reload[0].endswith("/kill") and "-HUP" in reload and "$MAINPID" in reload
    # newsd stops within 10 s of SIGTERM; the unit must wait at least that.
    stop = one(unit, "Service", "TimeoutStopSec")
    seconds = int(stop[:-1]) * 60 if stop.endswith("min") else int(stop.rstrip("s"))
    assert seconds > 10
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


def test_fetch_unit_is_a_oneshot_where_all_feeds_failing_is_not_a_failure() -> None:
    unit = parse_unit(FETCH_SERVICE)
    assert one(unit, "Service", "Type") == "oneshot"
    assert one(unit, "Service", "ExecStart").split() == ["/opt/newsd/.venv/bin/newsd", "fetch"]
    assert one(unit, "Service", "SuccessExitStatus").split() == ["1"]
    timer = parse_unit(FETCH_TIMER)
    assert one(timer, "Timer", "OnCalendar")
    # verify does not check that a timer's service exists (systemd 252 says
    # nothing when it is missing), so check it here: the timer starts the
    # service of its own name unless Unit= names another.
    triggered = timer["Timer"].get("Unit", [FETCH_TIMER.stem + ".service"])[-1]
    assert triggered == FETCH_SERVICE.name
    assert one(timer, "Install", "WantedBy") == "timers.target"


@pytest.mark.parametrize("unit", [SERVICE, FETCH_SERVICE], ids=lambda unit: unit.name)
def test_unit_runs_as_a_dynamic_user_with_state_and_config_directories(unit: Path) -> None:
    parsed = parse_unit(unit)
    assert one(parsed, "Service", "DynamicUser") == "yes"
    assert one(parsed, "Service", "StateDirectory") == "newsd"
    assert one(parsed, "Service", "ConfigurationDirectory") == "newsd"
    assert one(parsed, "Service", "WorkingDirectory") == "/var/lib/newsd"
    assert environment(parsed) == {
        "NEWSD_CONFIG": "/etc/newsd/newsd.toml",
        "NEWSD_DB": "/var/lib/newsd/newsd.db",
    }


def test_daemon_and_fetch_share_one_user_and_state_directory() -> None:
    # The lock file next to the store only keeps the two from writing at
    # once if both can open it: same dynamic user name (one UID while either
    # runs), same directory, same mode (or each start would change it).
    service, fetch = parse_unit(SERVICE)["Service"], parse_unit(FETCH_SERVICE)["Service"]
    for key in ("DynamicUser", "User", "Group", "StateDirectory", "StateDirectoryMode", "UMask", "WorkingDirectory"):
        assert service.get(key) == fetch.get(key), key
    assert service["User"] == ["newsd"]


def test_daemon_and_timer_are_not_used_together() -> None:
    service = parse_unit(SERVICE)["Unit"].get("Conflicts", [])
    conflicts = " ".join(service).split()
    assert "newsd-fetch.timer" in conflicts and "newsd-fetch.service" in conflicts
    assert parse_unit(FETCH_SERVICE)["Unit"].get("Conflicts") == ["newsd.service"]
    assert parse_unit(FETCH_TIMER)["Unit"].get("Conflicts") == ["newsd.service"]


@pytest.mark.parametrize("unit", [SERVICE, FETCH_SERVICE], ids=lambda unit: unit.name)
def test_service_is_hardened(unit: Path) -> None:
    service = parse_unit(unit)["Service"]
    expected = {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "PrivateUsers": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallArchitectures": "native",
        "UMask": "0077",
    }
    for key, value in expected.items():
        assert service.get(key) == [value], key
    # Outbound TCP and AF_UNIX (sd_notify, the resolver); nothing else.
    assert sorted(" ".join(service["RestrictAddressFamilies"]).split()) == ["AF_INET", "AF_INET6", "AF_UNIX"]
    # Never an IP deny list: feeds live on any host.
    assert "IPAddressDeny" not in service and "PrivateNetwork" not in service
    assert service["SystemCallFilter"][0] == "@system-service"
