# SPDX-License-Identifier: LGPL-2.1-or-later
"""Health signals: boots, pressure, kernel log events, health checks, reboot reasons."""
import json
import os
import signal
import time

import pytest

from conftest import (AUTO, history, kernel_view, kill_daemon, lpmaint, lpmaint_json, patches, restart_daemon,
                      run, sim_path, sim_read, sim_write, simulate_reboot, wait_for, wait_state)
from test_soak import kernel_says, soak_state

IDLE = "some avg10=0.00 avg60={:.2f} avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"


def set_pressure(resource, avg60):
    # Written whole and renamed in, as a reader of the real file would see it.
    tmp = sim_path("proc/pressure", f".{resource}.tmp")
    with open(tmp, "w") as f:
        f.write(IDLE.format(avg60))
    os.rename(tmp, sim_path("proc/pressure", resource))


def ring_with(soak_sec, extra="", checks=""):
    return f"[Daemon]\nRing=canary\n\n[Ring canary]\nSoakSec={soak_sec}\n{extra}\n{checks}"


def test_signals_show_the_kernel_and_this_boot():
    s = lpmaint_json("signals")
    assert set(s["pressure"]) == {"cpu", "io", "memory"}
    assert s["pressure"]["cpu"]["avg60"] == 0
    assert set(s["kernel_log"]["events"]) >= {"oops", "warning", "bug", "soft_lockup"}
    boot_id = sim_read("proc/sys/kernel/random/boot_id").strip()
    assert s["boots"][-1]["boot_id"] == boot_id and s["boots"][-1]["end"] == "running"
    assert s["boots"][-1]["kernel_release"] == lpmaint_json("status")["kernel_release"]
    text = lpmaint("signals").stdout
    assert "Pressure" in text and boot_id in text and "Kernel log since" in text


def test_kernel_log_events_are_counted():
    before = lpmaint_json("signals")["kernel_log"]["events"]
    kernel_says("watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [kworker/3:1:99]")
    kernel_says("WARNING: CPU: 0 PID: 1 at lib/foo.c:1 f+0x0/0x1")
    after = lpmaint_json("signals")["kernel_log"]
    assert after["events"]["soft_lockup"] == before["soft_lockup"] + 1
    assert after["events"]["warning"] == before["warning"] + 1
    # The log is younger than an hour: no rate extrapolated from it.
    assert after["per_hour"]["warning"] is None
    text = lpmaint("signals").stdout
    assert "rates per hour once it covers an hour" in text and "/h)" not in text, text


def test_a_simulated_reboot_is_recorded_as_a_crash():
    old = sim_read("proc/sys/kernel/random/boot_id").strip()
    kill_daemon(signal.SIGKILL)
    new = "5e5e5e5e-0000-4000-8000-%012d" % int(time.time())
    sim_write("proc/sys/kernel/random/boot_id", new)
    restart_daemon()
    boots = lpmaint_json("signals")["boots"]
    assert [b["boot_id"] for b in boots[-2:]] == [old, new]
    # Nobody wrote an end for the old boot: it ended without a shutdown.
    assert boots[-2]["end"] == "crash" and boots[-2]["ended_usec"] == 0
    assert boots[-1]["end"] == "running"


def test_a_daemon_stopped_outside_a_shutdown_is_not_a_crash():
    boot = sim_read("proc/sys/kernel/random/boot_id").strip()
    kill_daemon(signal.SIGTERM)
    sim_write("proc/sys/kernel/random/boot_id", "6e6e6e6e-0000-4000-8000-%012d" % int(time.time()))
    restart_daemon()
    prev = [b for b in lpmaint_json("signals")["boots"] if b["boot_id"] == boot][0]
    # No systemd here to say the system was going down: how it ended is not known.
    assert prev["end"] == "unknown" and prev["ended_usec"] > 0


def test_pressure_rise_fails_the_soak(make_patch, dropin):
    set_pressure("io", 2.0)
    dropin(ring_with(60, "MaxPressureIncrease=20"))
    wait_for(lambda: lpmaint_json("ring")["criteria"].get("max_pressure_increase") == 20, what="ring configured")
    a = make_patch()
    try:
        assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
        assert soak_state(a.name) == "soaking"
        set_pressure("io", 15.0)  # 13 points up: within the limit
        time.sleep(0.5)
        assert soak_state(a.name) == "soaking"
        set_pressure("io", 40.0)  # nothing else changes: the pressure watch alone wakes the daemon
        wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak")
        assert "io pressure rose from 2.00% to 40.00%" in patches()[a.name]["soak_result"]
        wait_state(a.name, {"disabled"})
    finally:
        set_pressure("io", 0.0)


def test_health_checks_pass_and_are_recorded(make_patch, dropin, workdir):
    marker = os.path.join(workdir, "checked")
    dropin(ring_with(1, checks=f"HealthChecks=ok\n\n[HealthCheck ok]\nExecStart=/usr/bin/touch {marker}\n"))
    wait_for(lambda: lpmaint_json("ring")["ring"] == "canary", what="ring configured")
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    wait_for(lambda: soak_state(a.name) == "healthy", timeout=15, what="healthy")
    assert os.path.exists(marker)
    check = [c for c in lpmaint_json("signals")["health_checks"] if c["name"] == "ok"][0]
    assert check["passed"] is True and check["exit_status"] == 0 and check["detail"] == "exit status 0"
    assert "ok" in lpmaint("signals").stdout
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


@pytest.mark.parametrize("command,detail", [
    ("/bin/sh -c 'exit 3'", "exit status 3"),
    ("/bin/sleep 30", "timed out after 1 s"),
    ("/nonexistent/check", "cannot start"),
])
def test_failing_health_check_rolls_back(make_patch, dropin, command, detail):
    dropin(ring_with(1, checks=f"HealthChecks=web\n\n[HealthCheck web]\nExecStart={command}\nTimeoutSec=1\n"))
    wait_for(lambda: lpmaint_json("ring")["ring"] == "canary", what="ring configured")
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    wait_for(lambda: soak_state(a.name) == "failed", timeout=15, what="failed soak")
    result = patches()[a.name]["soak_result"]
    assert result.startswith("health check web failed: ") and detail in result, result
    wait_state(a.name, {"disabled"})
    assert kernel_view(a.name)["module_loaded"] is False
    assert ("rollback", "accepted") in [(r["action"], r["result"]) for r in history(patch=a.name)]


def test_module_that_cannot_be_removed_requires_a_reboot(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert lpmaint_json("status").get("reboot_required") is False
    sim_write("sim/pinned-modules", a.name + "\n")
    try:
        p = lpmaint("disable", a.name, user=AUTO)
        # The patch is off: the disable succeeded, with a warning about the module.
        assert p.returncode == 0 and "a reboot is required" in p.stderr, p.stderr
        wait_state(a.name, {"disabled"})
        assert patches()[a.name]["result"] == "remove-failed"
        assert kernel_view(a.name)["module_loaded"] is True
        status = lpmaint_json("status")
        assert status["reboot_required"] is True
        assert [r for r in status["reboot_reasons"] if r["code"] == "module-not-removed" and a.name in r["text"]]
    finally:
        os.unlink(sim_path("sim/pinned-modules"))
    # Only a reboot takes the module out, and with it the reason.
    simulate_reboot()
    assert "module-not-removed" not in [r["code"] for r in lpmaint_json("status")["reboot_reasons"]]


def fake_bzimage(path, release):
    """The parts of an x86 boot sector and setup header that name the kernel's release."""
    image = bytearray(8192)
    image[0x1F1] = 4                                  # setup_sects
    image[0x1FE:0x200] = b"\x55\xaa"                  # boot flag
    image[0x202:0x206] = b"HdrS"
    image[0x206:0x208] = (0x020F).to_bytes(2, "little")
    image[0x20E:0x210] = (0x200).to_bytes(2, "little")  # the string is at 0x200 + 0x200
    text = f"{release} (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian".encode() + b"\0"
    image[0x400:0x400 + len(text)] = text
    with open(path, "wb") as f:
        f.write(image)


def restart_daemon_now():
    kill_daemon(signal.SIGTERM)
    restart_daemon()


def reasons():
    return {r["code"]: r for r in lpmaint_json("status")["reboot_reasons"]}


def test_newer_installed_kernel_requires_a_reboot():
    running = lpmaint_json("status")["kernel_release"]
    older, newer = sim_path("boot", "vmlinuz-older"), sim_path("boot", "vmlinuz-6.1.0-99-amd64")
    fake_bzimage(older, "5.10.0-1-amd64")
    assert "kernel-installed" not in reasons()
    # The file name is not believed: the header says 9999, which is newer than anything.
    fake_bzimage(newer, "9999.0.0-1-amd64")
    try:
        r = reasons()["kernel-installed"]
        assert r["text"] == f"kernel 9999.0.0-1-amd64 is installed, {running} is running"
        assert r["since_usec"] > 0
        assert lpmaint_json("status")["reboot_required"] is True
        shown = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lpmaint("status").stdout.splitlines())}
        assert shown["Reboot required"] == "yes" and "9999.0.0-1-amd64" in shown["Reboot reasons"]
    finally:
        os.unlink(older)
        os.unlink(newer)
    assert "kernel-installed" not in reasons()


def test_coverage_end_from_the_build_date_and_from_a_manifest(make_patch):
    version = sim_read("proc/sys/kernel/version")
    try:
        # Built long ago: 365 days of support are over. lpmaintd reads the
        # version once: a running kernel's does not change.
        sim_write("proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1 (2020-01-01)")
        restart_daemon_now()
        r = reasons()["coverage-ending"]
        assert "2020-12-31T00:00:00Z" in r["text"] and "build date" in r["text"], r
        # Built yesterday: not due.
        sim_write("proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1 (%s)" %
                  time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400)))
        restart_daemon_now()
        assert "coverage-ending" not in reasons()
        # A signed manifest that says coverage ends in ten days wins, inside the 30-day margin.
        ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 10 * 86400))
        a = make_patch(extra=["--coverage-ends", ends])
        assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
        r = reasons()["coverage-ending"]
        assert ends in r["text"] and "signed manifest" in r["text"], r
        prop = json.loads(run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1",
                              f"/org/lpmaint1/patch/{a.name}", "org.lpmaint1.Patch", "CoverageEndsUSec",
                              check=True).stdout)["data"]
        assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(prop // 1_000_000)) == ends
        assert lpmaint_json("reboot", "status")["coverage_ends_usec"] == prop
        assert lpmaint("disable", a.name, user=AUTO).returncode == 0
        # A newer manifest extends coverage: the newest statement counts.
        time.sleep(1)
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 400 * 86400))
        b = make_patch(extra=["--coverage-ends", later])
        assert lpmaint("apply", b.manifest, user=AUTO).returncode == 0
        assert "coverage-ending" not in reasons()
        assert lpmaint("disable", b.name, user=AUTO).returncode == 0
    finally:
        sim_write("proc/sys/kernel/version", version.strip())
        restart_daemon_now()
