"""systemd's notification protocol (sd_notify), without libsystemd.

When systemd starts newsd with Type=notify it sets NOTIFY_SOCKET to a unix
datagram socket; newsd sends "READY=1" once it polls, "STATUS=..." lines
that ``systemctl status`` shows, "WATCHDOG=1" keep-alives and "STOPPING=1".
Without NOTIFY_SOCKET every call does nothing, so the daemon runs the same
in a terminal.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    """Sends state lines to the service manager, if there is one."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        # "@name" is an abstract socket: a leading NUL byte on Linux.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_s = watchdog_interval(env)

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> bool:
        """Send ``lines`` ("READY=1", "STATUS=...") as one message; False when there is nobody to tell."""
        if not self.address:
            return False
        message = "\n".join(lines).encode("utf-8", "replace")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self.address)
                sock.sendall(message)
        except OSError as exc:  # the manager went away: nothing the daemon can do about it
            log.debug("sd_notify to %r failed: %s", self.address, exc)
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}")

    def status(self, status: str) -> bool:
        return self.send(f"STATUS={status}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str) -> bool:
        return self.send("STOPPING=1", f"STATUS={status}")


def watchdog_interval(environ: dict[str, str] | os._Environ[str]) -> float | None:
    """How often to send WATCHDOG=1 (half of WATCHDOG_USEC, as sd_watchdog_enabled advises); None when not asked.

    WATCHDOG_PID, when set, must be this process: a child must not keep a dead parent alive.
    """
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1e6 / 2
