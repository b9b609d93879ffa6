# SPDX-License-Identifier: LGPL-2.1-or-later
"""After a reboot the patches come back; one that was being applied when the boot crashed does not."""
import os
import signal

import pytest

from conftest import (AUTO, history, kernel_view, kill_daemon, lpmaint, lpmaint_json, patches, restart_daemon, run,
                      sim_path, sim_read, sim_write, simulate_reboot, wait_for, wait_state)
from crash_points import patch_dir, read_only

CMDLINE = "BOOT_IMAGE=/boot/vmlinuz-sim root=/dev/sim ro"


def boot_reapply():
    out = run("busctl", "--system", "get-property", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager",
              "BootReapply", check=True).stdout.split()
    return out[1].strip('"')


def daemon_log_has(text):
    with open(os.environ["LPMAINT_DAEMON_LOG"], errors="replace") as f:
        return text in f.read()


@pytest.fixture
def cmdline():
    yield lambda extra: sim_write("proc/cmdline", f"{CMDLINE} {extra}")
    sim_write("proc/cmdline", CMDLINE)


def test_applied_patches_come_back_after_a_reboot(make_patch):
    a, b = make_patch(), make_patch()
    for x in (a, b):
        assert lpmaint("apply", x.manifest, user=AUTO).returncode == 0
    before = patches()[a.name]
    simulate_reboot()
    wait_for(lambda: boot_reapply() == "done", timeout=20, what="re-apply done")
    for x in (a, b):
        info = wait_state(x.name, {"applied"})
        assert info["result"] == "success"
        assert kernel_view(x.name)["enabled"] is True
    # The same object, the same verified bytes; the soak verdict (none here) stands.
    assert patches()[a.name]["module_sha256"] == before["module_sha256"]
    records = [r for r in history(patch=a.name) if r["action"] == "reapply"]
    assert records and records[-1]["result"] == "success"
    boots = lpmaint_json("signals")["boots"]
    assert boots[-2]["end"] == "unknown"  # no systemd here to say it was a shutdown
    for x in (a, b):
        assert lpmaint("disable", x.name, user=AUTO).returncode == 0


def test_disabled_patches_stay_disabled(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    simulate_reboot()
    assert patches()[a.name]["state"] == "disabled"
    assert boot_reapply() == ""
    assert kernel_view(a.name)["module_loaded"] is False


def test_kernel_command_line_switch_skips_it(make_patch, cmdline):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    cmdline("quiet lpmaint.reapply=0")
    simulate_reboot()
    assert boot_reapply() == "skipped"
    assert patches()[a.name]["state"] == "absent"
    assert kernel_view(a.name)["module_loaded"] is False


def test_tampered_store_is_not_applied_again(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    state_dir = os.environ["LPMAINT_STATE_DIR"]
    module = os.path.join(state_dir, "patches", a.name, "module.ko")
    with open(module, "ab") as f:
        f.write(b"\0evil")
    simulate_reboot()
    wait_for(lambda: boot_reapply() == "done", timeout=20, what="re-apply done")
    info = patches()[a.name]
    assert info["state"] == "absent" and info["result"] == "reapply-failed", info
    assert "DigestMismatch" in info["result_message"] or "SHA-256" in info["result_message"], info
    assert kernel_view(a.name)["module_loaded"] is False


def test_patch_being_applied_when_the_boot_crashed_is_quarantined(make_patch, stuck_task):
    a = make_patch()
    assert lpmaint("--no-wait", "apply", a.manifest, user=AUTO).returncode == 0
    assert patches()[a.name]["state"] == "patching"
    simulate_reboot(crash=True)
    info = patches()[a.name]
    assert info["result"] == "quarantined", info
    assert "crashed" in info["result_message"]
    assert kernel_view(a.name)["module_loaded"] is False
    assert [r for r in history(patch=a.name) if r["action"] == "quarantine"]
    assert lpmaint_json("signals")["boots"][-2]["end"] == "crash"
    # An administrator may apply it anew.
    os.unlink(sim_path("sim/stuck-pids"))
    sim_write("sim/stuck-pids", "")


def test_restart_during_the_reapply_resumes_it(make_patch, transition_ms):
    """lpmaintd (not the kernel) killed while it applies the patches again: the
    restart in the same boot resumes the plan; nothing is quarantined."""
    a, b, c = make_patch(), make_patch(), make_patch()
    for x in (a, b, c):
        assert lpmaint("apply", x.manifest, user=AUTO).returncode == 0
    transition_ms(1500)
    simulate_reboot()
    assert boot_reapply() == "running"
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    wait_for(lambda: boot_reapply() == "done", timeout=30, what="re-apply resumed and done")
    for x in (a, b, c):
        info = wait_state(x.name, {"applied"})
        assert info["result"] == "success", info
        assert kernel_view(x.name)["enabled"] is True
    assert not [r for x in (a, b, c) for r in history(patch=x.name) if r["action"] == "quarantine"]
    # A second restart in the same boot has nothing left to do and re-applies nothing twice.
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert boot_reapply() == "done"
    for x in (a, b, c):
        assert len([r for r in history(patch=x.name) if r["action"] == "reapply" and r["result"] == "success"]) == 1
        assert lpmaint("disable", x.name, user=AUTO).returncode == 0


def test_reapply_that_cannot_be_recorded_is_tried_again(make_patch):
    """The patch's record cannot be written in the first start of the boot (its
    directory read-only): that is no verdict on the patch. It stays in the plan,
    untouched in the kernel, through a restart in the boot, and is applied again
    once the record can be written."""
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    with read_only(patch_dir(a.name)):
        simulate_reboot()
        wait_for(lambda: daemon_log_has(f"Patch {a.name}: cannot apply it again yet"), timeout=10,
                 what="the re-apply put off")
        assert boot_reapply() == "running"
        info = patches()[a.name]
        assert info["state"] == "absent" and info["result"] != "reapply-failed", info
        assert kernel_view(a.name)["module_loaded"] is False
        kill_daemon(signal.SIGKILL)
        restart_daemon()
        assert boot_reapply() == "running"
        assert patches()[a.name]["result"] != "reapply-failed"
    wait_for(lambda: boot_reapply() == "done", timeout=30, what="re-apply done once the record can be written")
    info = wait_state(a.name, {"applied"})
    assert info["result"] == "success", info
    assert kernel_view(a.name)["enabled"] is True
    records = [r for r in history(patch=a.name) if r["action"] == "reapply"]
    assert [r["result"] for r in records] == ["success"], records
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
