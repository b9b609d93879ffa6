# SPDX-License-Identifier: LGPL-2.1-or-later
"""Transitions that take time, never finish, collide, or outlive the daemon."""
import os
import signal
import time

import pytest

from conftest import (AUTO, EXIT_BUSY, history, kernel_view, kill_daemon, kmsg, lpmaint, lpmaint_json, patches,
                      restart_daemon, wait_for, wait_state)
from crash_points import (FAULTS, STRERROR, audit_log, kill_at, patch_dir, recorded_state, state_file,
                          unsaved_records)


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


# ---- outcomes reach the audit trail exactly once; I/O errors (crash_points.py)


def outcomes(name, action, result="success"):
    return [r for r in history(patch=name) if r["action"] == action and r["result"] == result]


def test_apply_and_disable_outcomes_survive_a_kill(make_patch):
    """Killed as the outcome's audit record is appended (after the record that
    holds the final state was written): the restart appends it, once."""
    a = make_patch()
    # Audit records of an apply: 1 accepted, 2 success.
    with kill_at("write", when=2, path=audit_log()):
        assert lpmaint("apply", "--no-wait", a.manifest, user=AUTO).returncode == 0
    assert recorded_state(a.name)["State"] == "applied"
    restart_daemon()
    assert patches()[a.name]["state"] == "applied"
    assert len(outcomes(a.name, "apply")) == 1
    # Once: a restart that finds it in the log does not append it again.
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert len(outcomes(a.name, "apply")) == 1

    with kill_at("write", when=2, path=audit_log()):
        assert lpmaint("disable", "--no-wait", a.name, user=AUTO).returncode == 0
    assert recorded_state(a.name)["State"] == "disabled"
    restart_daemon()
    assert patches()[a.name]["state"] == "disabled"
    assert len(outcomes(a.name, "disable")) == 1
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert len(outcomes(a.name, "disable")) == 1


def test_disable_killed_before_it_acted_is_closed_as_interrupted(make_patch):
    """Killed after the disable's accepted record and before its intent is in
    the patch's record: the caller got no reply and nothing changed. The next
    start says so in the trail (disable interrupted), once."""
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    with kill_at("rename", path=patch_dir(a.name)):
        p = lpmaint("disable", a.name, user=AUTO)
    assert p.returncode != 0 and "Disabled" not in p.stdout, p.stdout
    assert recorded_state(a.name)["State"] == "applied"
    restart_daemon()
    assert patches()[a.name]["state"] == "applied"
    assert kernel_view(a.name)["enabled"] is True
    trail = [(r["action"], r["result"]) for r in history(patch=a.name)]
    assert trail[-2:] == [("disable", "accepted"), ("disable", "interrupted")], trail
    assert "caller got no reply" in history(patch=a.name)[-1]["message"]
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert len(outcomes(a.name, "disable", "interrupted")) == 1
    # A disable accepted and done is not taken for one that never acted.
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert len(outcomes(a.name, "disable", "interrupted")) == 1
    assert patches()[a.name]["state"] == "disabled"


@pytest.mark.parametrize("fault", FAULTS)
def test_storage_failure_before_the_kernel_is_touched_refuses(make_patch, fault):
    """A state directory that cannot be written (read-only, full, failing)
    refuses apply and disable, before the kernel is touched: nothing changes.
    The refusal names the first write that failed: the store's, StorageFailed;
    but a failing disk (io-error: the next fsync, wherever it is) fails a
    disable's accepted audit record first, which is written before anything
    of the change, so that disable is refused with AuditFailed."""
    disable_error = "AuditFailed" if fault == "io-error" else "StorageFailed"
    store = os.path.join(os.environ["LPMAINT_STATE_DIR"], "patches")
    a, b = make_patch(), make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    with FAULTS[fault](store):
        p = lpmaint("apply", b.manifest, user=AUTO)
    assert p.returncode == 1 and "org.lpmaint1.Error.StorageFailed" in p.stderr, p.stderr
    assert STRERROR[fault] in p.stderr, p.stderr
    assert b.name not in patches()
    assert kernel_view(b.name)["module_loaded"] is False

    with FAULTS[fault](store):
        p = lpmaint("disable", a.name, user=AUTO)
    assert p.returncode == 1 and f"org.lpmaint1.Error.{disable_error}" in p.stderr, p.stderr
    assert STRERROR[fault] in p.stderr, p.stderr
    assert patches()[a.name]["state"] == "applied"
    assert recorded_state(a.name)["State"] == "applied"
    assert kernel_view(a.name)["enabled"] is True
    assert unsaved_records() == []
    refusals = history(result="refused")[-2:]
    assert [r["action"] for r in refusals] == ["apply", "disable"]
    assert "StorageFailed" in refusals[0]["message"] and disable_error in refusals[1]["message"], refusals
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_record_behind_the_kernel_is_written_again(make_patch, transition_ms, fault):
    """Once the kernel has the patch, a record that cannot be written is no
    refusal: the bus tells what the kernel has, status says the record is
    behind, and it is written again until it lands."""
    transition_ms(1500)
    a = make_patch()
    assert lpmaint("apply", "--no-wait", a.manifest, user=AUTO).returncode == 0
    assert recorded_state(a.name)["State"] == "patching"
    with FAULTS[fault](os.path.dirname(state_file(a.name))):
        info = wait_state(a.name, {"applied"})
        assert info["result"] == "success"
        wait_for(lambda: unsaved_records() == [a.name], what="record behind")
        assert recorded_state(a.name)["State"] == "patching"
        assert lpmaint_json("status")["unsaved_records"] == [a.name]
        assert f"{a.name} (not yet written to disk; retrying)" in lpmaint("status").stdout
        # The outcome is audited all the same.
        assert len(outcomes(a.name, "apply")) == 1
    wait_for(lambda: unsaved_records() == [], timeout=10, what="record written again")
    assert recorded_state(a.name)["State"] == "applied"
    assert "not yet written" not in lpmaint("status").stdout
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
