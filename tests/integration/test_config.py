# SPDX-License-Identifier: LGPL-2.1-or-later
"""Configuration reload: a good drop-in takes effect, a bad one is named and the last good config stays."""
import os
import signal

from conftest import SANDBOX, daemon_pid, lpmaint_json, wait_for

CONFIG = os.environ.get("LPMAINT_CONFIG", "")


def timeout_sec():
    return lpmaint_json("status")["transition_timeout_usec"] // 1_000_000


def test_reload_good_and_bad_dropins():
    dropins = CONFIG + ".d"
    os.makedirs(dropins, exist_ok=True)
    good = os.path.join(dropins, "50-good.conf")
    bad = os.path.join(dropins, "60-bad.conf")
    original = timeout_sec()
    try:
        with open(good, "w") as f:
            f.write("[Daemon]\nTransitionTimeoutSec=7\n")
        os.kill(daemon_pid(), signal.SIGHUP)
        wait_for(lambda: timeout_sec() == 7, what="reloaded timeout")

        with open(bad, "w") as f:
            f.write("[Daemon]\n# comment\nTransitionTimeoutSec=soon\n")
        os.kill(daemon_pid(), signal.SIGHUP)
        log = os.path.join(SANDBOX, "lpmaintd.log")
        wait_for(lambda: f"{bad}:3:" in open(log).read(), what="error naming file and line")
        assert timeout_sec() == 7
    finally:
        for f in (good, bad):
            if os.path.exists(f):
                os.unlink(f)
        os.kill(daemon_pid(), signal.SIGHUP)
        wait_for(lambda: timeout_sec() == original, what="original timeout")
