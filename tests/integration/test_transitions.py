# SPDX-License-Identifier: LGPL-2.1-or-later
"""Transitions that take time, never finish, collide, or outlive the daemon."""
import os
import signal
import time

from conftest import (AUTO, EXIT_BUSY, kernel_view, kill_daemon, kmsg, lpmaint, lpmaint_json, patches,
                      restart_daemon, wait_for, wait_state)


def test_second_apply_during_transition_is_busy(make_patch, transition_ms):
    transition_ms(2000)
    a, b = make_patch(), make_patch()
    p = lpmaint("apply", "--no-wait", a.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    assert lpmaint_json("status")["busy"] is True

    p = lpmaint("apply", b.manifest, user=AUTO)
    assert p.returncode == EXIT_BUSY, p.stderr
    assert "org.lpmaint1.Error.Busy" in p.stderr
    assert b.name not in patches()
    assert kernel_view(b.name)["module_loaded"] is False

    wait_state(a.name, {"applied"})
    wait_for(lambda: lpmaint_json("status")["busy"] is False, what="not busy")
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_transition_that_never_finishes_is_reversed(make_patch, stuck_task):
    a = make_patch()
    started = time.monotonic()
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "transition-timeout" in p.stdout + p.stderr
    assert "stuck-worker" in p.stdout + p.stderr
    # The sandbox's TransitionTimeoutSec is 3.
    assert time.monotonic() - started >= 3

    info = patches()[a.name]
    assert info["state"] == "failed"
    assert info["result"] == "transition-timeout"
    assert {"pid": stuck_task, "comm": "stuck-worker"} in info["blocking_tasks"]
    # The kernel ends without the patch, reversed and never forced.
    assert kernel_view(a.name) == {"module_loaded": False, "present": False, "enabled": False, "transition": False}
    log = kmsg()
    assert f"'{a.name}': reversing transition from patching to unpatching" in log
    assert "forc" not in log
    assert lpmaint_json("status")["busy"] is False


def test_daemon_killed_mid_apply(make_patch, transition_ms):
    transition_ms(1500)
    a = make_patch()
    p = lpmaint("apply", "--no-wait", a.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    assert kernel_view(a.name)["transition"] is True

    kill_daemon(signal.SIGKILL)
    restart_daemon()

    info = wait_state(a.name, {"applied"})
    assert info["result"] == "success"
    assert kernel_view(a.name) == {"module_loaded": True, "present": True, "enabled": True, "transition": False}
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_daemon_killed_mid_disable(make_patch, transition_ms):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    transition_ms(1500)
    assert lpmaint("disable", "--no-wait", a.name, user=AUTO).returncode == 0
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    info = wait_state(a.name, {"disabled"})
    assert info["result"] == "success"
    assert kernel_view(a.name)["module_loaded"] is False


def test_restart_keeps_state(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    before = patches()[a.name]
    kill_daemon(signal.SIGTERM)
    restart_daemon()
    after = patches()[a.name]
    for key in ("state", "version", "module_sha256", "applied_usec", "signer", "result"):
        assert after[key] == before[key], key
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
