# SPDX-License-Identifier: LGPL-2.1-or-later
"""Is lpmaintd still well after abuse: alive, answering, not leaking (test_abuse, test_stress)."""
import os
import signal

from conftest import SANITIZER_REPORTS, daemon_pid, kill_daemon, lpmaint, restart_daemon

BUILD = os.environ.get("LPMAINT_BUILD_DIR", "")
DAEMON_LOG = os.environ.get("LPMAINT_DAEMON_LOG", "")


def tool(name):
    return os.path.join(BUILD, "tests", "stress", name)


def rss_kib(pid=None):
    with open(f"/proc/{pid or daemon_pid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/PID/status")


def sanitized(pid=None):
    """A build with ASan: its quarantine keeps freed memory resident on purpose."""
    with open(f"/proc/{pid or daemon_pid()}/maps") as f:
        return "libasan" in f.read()


def assert_answers():
    p = lpmaint("status")
    assert p.returncode == 0, f"lpmaintd does not answer after the abuse: {p.stderr}"


def stop_and_check_for_leaks():
    """Stops lpmaintd cleanly (LeakSanitizer reports at exit in a sanitizer
    build) and starts it again; fails on any sanitizer report of that run."""
    with open(DAEMON_LOG, "rb") as f:
        f.seek(0, os.SEEK_END)
        start = f.tell()
    kill_daemon(signal.SIGTERM)
    with open(DAEMON_LOG, "rb") as f:
        f.seek(start)
        tail = f.read().decode(errors="replace")
    restart_daemon()
    found = [r for r in SANITIZER_REPORTS if r in tail]
    assert not found, f"lpmaintd reported {found} at exit:\n{tail[-4000:]}"
