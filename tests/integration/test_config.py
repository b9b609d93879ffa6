# SPDX-License-Identifier: LGPL-2.1-or-later
"""Configuration reload: a good drop-in takes effect, a bad one is named and the last good config stays."""
import os
import signal

from conftest import SANDBOX, daemon_pid, lpmaint, lpmaint_json, run, wait_for

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


DAEMON = os.environ.get("LPMAINT_DAEMON", "")


def check_config(path):
    return run(DAEMON, "--check-config", f"--config={path}")


def test_check_config_names_file_and_line_and_touches_nothing(workdir):
    conf = os.path.join(workdir, "lpmaint.conf")
    state = os.path.join(workdir, "state")
    with open(conf, "w") as f:
        f.write(f"[Daemon]\nStateDirectory={state}\n")
    p = check_config(conf)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")

    os.makedirs(conf + ".d")
    bad = os.path.join(conf + ".d", "50-bad.conf")
    with open(bad, "w") as f:
        f.write("[Daemon]\n# comment\nTransitionTimeoutSec=soon\n")
    p = check_config(conf)
    assert p.returncode == 1 and p.stderr.startswith(f"{bad}:3:"), p.stderr
    # A configuration, not a daemon: no state directory made, nothing on the bus.
    assert not os.path.exists(state)

    with open(bad, "w") as f:
        f.write("[Ring canary]\nSoakSec=60\nHealthChecks=nosuch\n")
    with open(conf, "a") as f:
        f.write("Ring=canary\n")
    p = check_config(conf)
    assert p.returncode == 1 and f"{bad}:3" in p.stderr and "nosuch" in p.stderr, p.stderr

    assert "--check-config" in run(DAEMON, "--help").stdout


def config_error():
    return run("busctl", "--system", "get-property", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager",
               "ConfigurationError", check=True).stdout.strip()


def test_a_failed_reload_shows_in_status(dropin):
    assert config_error() == 's ""'
    dropin("[Daemon]\nTransitionTimeoutSec=soon\n")
    wait_for(lambda: "80-ring.conf:2" in config_error(), what="ConfigurationError set")
    text = lpmaint("status").stdout
    assert "CONFIG ERROR" in text and "80-ring.conf:2" in text, text
    assert "80-ring.conf:2" in lpmaint_json("status")["configuration_error"]
    dropin("[Daemon]\nRing=canary\n[Ring canary]\nSoakSec=60\n")
    wait_for(lambda: config_error() == 's ""', what="ConfigurationError cleared")
    assert "CONFIG ERROR" not in lpmaint("status").stdout
    assert lpmaint_json("status")["configuration_error"] == ""
