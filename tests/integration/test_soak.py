# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak in the host's ring: healthy when quiet, rolled back on its own when the kernel complains."""
import json
import os
import signal
import time

import pytest

from conftest import (AUTO, RING_DROPIN, history, kernel_view, kill_daemon, lpmaint, lpmaint_json, patches,
                      reload_daemon, restart_daemon, run, sim_path, sim_read, sim_write, wait_for, wait_state,
                      write_dropin)
from test_bad_input import refused
from crash_points import audit_log, kill_at, patch_dir, read_only, recorded_state, unsaved_records

DROPIN = RING_DROPIN


def kernel_says(line):
    """Appends a record to the simulated kernel's log, as the kernel would."""
    with open(sim_path("sim/kmsg"), "a") as f:
        f.write(line + "\n")


def set_ring(soak_sec, extra=""):
    write_dropin(f"[Daemon]\nRing=canary\n\n[Ring canary]\nSoakSec={soak_sec}\n{extra}\n")
    wait_for(lambda: lpmaint_json("ring")["ring"] == "canary"
             and lpmaint_json("ring")["criteria"]["soak_sec"] == soak_sec, what="ring configured")


@pytest.fixture
def ring(dropin):
    yield set_ring


def soak_state(name):
    return patches()[name]["soak_state"]


def test_without_a_ring_nothing_soaks(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert soak_state(a.name) == ""
    assert "no ring" in lpmaint("ring").stdout
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_quiet_soak_is_healthy(make_patch, ring):
    ring(2)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    info = patches()[a.name]
    assert info["soak_state"] == "soaking"
    assert info["soak_ends_usec"] > info["applied_usec"]
    # Livepatch's own messages are no trouble.
    kernel_says(f"livepatch: '{a.name}': patching complete")
    wait_for(lambda: soak_state(a.name) == "healthy", timeout=10, what="healthy")
    assert patches()[a.name]["state"] == "applied"
    assert [r for r in history(patch=a.name) if r["action"] == "soak" and r["result"] == "healthy"]
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


@pytest.mark.parametrize("trouble", [
    "WARNING: CPU: 1 PID: 42 at kernel/sched/core.c:100 resched_curr+0x1/0x2",
    "BUG: kernel NULL pointer dereference, address: 0000000000000008",
    "watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [kworker/0:1:12]",
])
def test_kernel_log_trouble_rolls_back(make_patch, ring, trouble):
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert soak_state(a.name) == "soaking"

    started = time.monotonic()
    kernel_says(trouble)
    wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak")
    decided = time.monotonic() - started
    info = wait_state(a.name, {"disabled"})
    assert "kernel log events" in info["soak_result"]
    assert kernel_view(a.name)["module_loaded"] is False
    actions = [(r["action"], r["result"]) for r in history(patch=a.name)]
    assert ("soak", "failed") in actions and ("rollback", "accepted") in actions
    assert decided < 5, decided


def test_new_taint_rolls_back(make_patch, ring):
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    tainted = int(sim_read("proc/sys/kernel/tainted"))
    sim_write("proc/sys/kernel/tainted", str(tainted | (1 << 4)))  # M: machine check
    kernel_says("mce: [Hardware Error]: Machine check events logged")
    wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak")
    assert "M (processor reported a machine check exception)" in patches()[a.name]["soak_result"]
    wait_state(a.name, {"disabled"})
    sim_write("proc/sys/kernel/tainted", str(tainted))


def test_warn_counter_and_no_automatic_rollback(make_patch, ring):
    sim_write("sys/kernel/warn_count", "3")
    ring(60, "AutomaticRollback=no")
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    sim_write("sys/kernel/warn_count", "4")
    kernel_says("something else the kernel said")
    wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak")
    assert "1 new kernel warnings" in patches()[a.name]["soak_result"]
    time.sleep(0.5)
    assert patches()[a.name]["state"] == "applied"  # the admin decides
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    os.unlink(sim_path("sys/kernel/warn_count"))


def test_soak_survives_a_daemon_restart(make_patch, ring):
    ring(3)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert soak_state(a.name) == "soaking"
    wait_for(lambda: soak_state(a.name) == "healthy", timeout=15, what="healthy after restart")
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_trouble_while_the_daemon_was_down_counts(make_patch, ring):
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    kill_daemon(signal.SIGKILL)
    kernel_says("Oops: 0002 [#1] PREEMPT SMP NOPTI")
    restart_daemon()
    wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak after restart")
    wait_state(a.name, {"disabled"})


def test_superseded_patch_soak_is_cancelled(make_patch, ring):
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    b = make_patch(replace=True)
    assert lpmaint("apply", b.manifest, user=AUTO).returncode == 0
    wait_state(a.name, {"superseded"})
    assert soak_state(a.name) == "cancelled"
    assert soak_state(b.name) == "soaking"
    assert lpmaint("disable", b.name, user=AUTO).returncode == 0


def _utc(offset_sec):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_sec))


def test_ring_not_released_yet_is_refused(make_patch, ring):
    ring(60)
    a = make_patch(extra=["--release", f"canary={_utc(3600)}", "--release", f"wave-1={_utc(7200)}"])
    refused(a, "org.lpmaint1.Error.RingNotReleased")
    assert "released to ring canary at" in history(result="refused")[-1]["message"]


def test_ring_not_named_is_refused(make_patch, ring):
    ring(60)
    a = make_patch(extra=["--release", f"wave-1={_utc(-60)}"])
    refused(a, "org.lpmaint1.Error.RingNotReleased")
    assert "not released to ring canary" in history(result="refused")[-1]["message"]


def test_host_without_a_ring_waits_for_the_last_ring(make_patch):
    a = make_patch(extra=["--release", f"canary={_utc(-60)}", "--release", f"wave-1={_utc(3600)}"])
    refused(a, "org.lpmaint1.Error.RingNotReleased")


def test_released_ring_applies_and_shows_the_schedule(make_patch, ring):
    ring(60)
    a = make_patch(extra=["--release", f"canary={_utc(-60)}", "--release", f"wave-1={_utc(3600)}"])
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    out = json.loads(run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1",
                         f"/org/lpmaint1/patch/{a.name}", "org.lpmaint1.Patch", "Release", check=True).stdout)
    assert [ring for ring, _ in out["data"]] == ["canary", "wave-1"]
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_leaving_the_ring_cancels_a_soak(make_patch, ring):
    ring(600)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert soak_state(a.name) == "soaking"
    os.unlink(DROPIN)
    reload_daemon()
    wait_for(lambda: soak_state(a.name) == "cancelled", timeout=10, what="cancelled soak")
    assert "left its ring" in patches()[a.name]["soak_result"]
    assert patches()[a.name]["state"] == "applied"
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


# ---- a kill at any step of a soak loses nothing (crash_points.py)


def soak_records(name, result=None):
    return [r for r in history(patch=name) if r["action"] == "soak" and (result is None or r["result"] == result)]


@pytest.mark.parametrize("step", ["record", "audit"])
def test_failed_verdict_is_acted_on_after_a_kill(make_patch, ring, step):
    """Killed while writing the failed verdict into the patch's record, or while
    appending its audit record: the restart still rolls the patch back, and the
    trail holds the verdict exactly once."""
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert soak_state(a.name) == "soaking"
    # The first rename in the patch's directory after the trouble is the verdict's record.
    if step == "record":
        point = dict(syscall="rename", path=patch_dir(a.name))
    else:
        point = dict(syscall="write", path=audit_log())
    with kill_at(**point):
        kernel_says("WARNING: CPU: 0 PID: 7 at mm/slub.c:1 kfree+0x1/0x2")
    if step == "record":
        # Killed before the verdict's record landed: it still says soaking.
        rec = recorded_state(a.name)
        assert rec["SoakState"] == "soaking" and rec["State"] == "applied", rec
    if step == "audit":
        # The verdict and the rollback it calls for were written before anything else.
        rec = recorded_state(a.name)
        assert rec["SoakState"] == "failed" and rec["RollbackPending"] == "true" and rec["State"] == "applied", rec
        with open(audit_log()) as f:
            assert not [line for line in f if a.name in line and "'soak'" in line]
    restart_daemon()
    info = wait_state(a.name, {"disabled"})
    assert info["soak_state"] == "failed" and "kernel log events" in info["soak_result"]
    assert kernel_view(a.name)["module_loaded"] is False
    assert len(soak_records(a.name, "failed")) == 1
    actions = [(r["action"], r["result"]) for r in history(patch=a.name)]
    assert ("rollback", "accepted") in actions and ("disable", "success") in actions


def test_soak_start_is_written_with_the_applied_state(make_patch, ring):
    """Killed right after the record says applied: the soak's start was in that
    write, so the restart goes on judging it."""
    ring(2)
    a = make_patch()
    # The patch's directory is synced after each record written there, once the
    # record has its final name: 1 patching, 2 applied (loading was written in
    # the staging directory, under another name).
    with kill_at("fsync", when=2, path=patch_dir(a.name)):
        lpmaint("apply", a.manifest, user=AUTO)
    assert recorded_state(a.name)["State"] == "applied"
    restart_daemon()
    assert soak_state(a.name) in ("soaking", "healthy")
    wait_for(lambda: soak_state(a.name) == "healthy", timeout=15, what="healthy after restart")
    assert patches()[a.name]["state"] == "applied"
    assert len(soak_records(a.name, "healthy")) == 1
    assert len([r for r in history(patch=a.name) if r["action"] == "apply" and r["result"] == "success"]) == 1
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_rollback_waits_for_a_state_directory_that_cannot_be_written(make_patch, ring):
    """The verdict and the rollback cannot be written (read-only store): the
    kernel keeps the patch, the record is listed as behind, and the rollback
    runs as soon as the record can be written."""
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    with read_only(patch_dir(a.name)):
        kernel_says("BUG: unable to handle page fault for address: ffffffffc0a0b000")
        wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak")
        wait_for(lambda: unsaved_records() == [a.name], what="record behind")
        time.sleep(0.5)
        assert patches()[a.name]["state"] == "applied" and kernel_view(a.name)["enabled"] is True
        assert recorded_state(a.name)["SoakState"] == "soaking"
        assert [r for r in history(patch=a.name) if r["action"] == "rollback" and r["result"] == "refused"
                and "StorageFailed" in r["message"]]
    info = wait_state(a.name, {"disabled"}, timeout=15)
    assert info["soak_state"] == "failed"
    assert unsaved_records() == []
    assert kernel_view(a.name)["module_loaded"] is False
    rec = recorded_state(a.name)
    assert rec["State"] == "disabled" and rec["SoakState"] == "failed" and rec["RollbackPending"] == "false", rec
    actions = [(r["action"], r["result"]) for r in history(patch=a.name)]
    assert actions.count(("soak", "failed")) == 1 and ("rollback", "accepted") in actions


@pytest.mark.parametrize("syscall,when", [("fsync", 2), ("rename", 3), ("fsync", 3)])
def test_rollback_is_completed_and_audited_once_after_a_kill(make_patch, ring, syscall, when):
    """Killed in the rollback's own writes (record 1 is the verdict, 2 the
    disable's intent, 3 the disable the kernel took): the restart completes the
    rollback, also when the kernel never got the disable (fsync #2), and the
    trail says why the patch was disabled, exactly once."""
    ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert soak_state(a.name) == "soaking"
    with kill_at(syscall, when=when, path=patch_dir(a.name)):
        kernel_says("WARNING: CPU: 0 PID: 7 at mm/slub.c:1 kfree+0x1/0x2")
    rec = recorded_state(a.name)
    assert rec["SoakState"] == "failed" and rec["RollbackPending"] == "true", rec
    if (syscall, when) == ("fsync", 2):
        # The disable's intent landed; the kernel never got the disable.
        assert rec["State"] == "unpatching" and kernel_view(a.name)["enabled"] is True, rec
    restart_daemon()
    info = wait_state(a.name, {"disabled"}, timeout=15)
    assert info["soak_state"] == "failed"
    assert kernel_view(a.name)["module_loaded"] is False
    rec = recorded_state(a.name)
    assert rec["State"] == "disabled" and rec["RollbackPending"] == "false", rec
    actions = [(r["action"], r["result"]) for r in history(patch=a.name)]
    assert actions.count(("soak", "failed")) == 1, actions
    assert actions.count(("rollback", "accepted")) == 1, actions
    assert ("disable", "success") in actions, actions
    rollback = [r for r in history(patch=a.name) if r["action"] == "rollback"][0]
    assert "kernel log events" in rollback["message"], rollback


def test_a_soak_without_a_ring_at_start_is_cancelled(make_patch, ring):
    """A reload that left the ring, killed before the cancelled soak was
    written: the restart, with no ring configured, cancels the soak as the
    reload would have, and never judges it by the criteria of no ring (which
    allow no new taint at all)."""
    ring(600)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert soak_state(a.name) == "soaking"
    with kill_at("rename", path=patch_dir(a.name)):
        os.unlink(DROPIN)
        reload_daemon()
    assert recorded_state(a.name)["SoakState"] == "soaking"
    restart_daemon()
    wait_for(lambda: soak_state(a.name) == "cancelled", timeout=10, what="cancelled soak")
    assert "left its ring" in patches()[a.name]["soak_result"]
    assert patches()[a.name]["state"] == "applied"
    assert not soak_records(a.name, "failed")
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
