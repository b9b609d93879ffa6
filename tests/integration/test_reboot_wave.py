# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reboot waves, scheduled and requested reboots, against a test double of
systemd and logind (logind cannot run in the sandbox); the generator that
turns RebootCalendar= into the wave timer's calendar."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (AUTO, ENV, OTHER, SANDBOX, history, lpmaint, lpmaint_json, restart_daemon, kill_daemon,
                      run, sim_path, sim_write, wait_for, workdir)  # noqa: F401 (workdir is a fixture)
from test_reboot import newer_kernel  # noqa: F401 (a fixture)
from test_signals import fake_bzimage
from crash_points import audit_log, fail_at, kill_at, state_dir

NOW = lambda: int(time.time() * 1_000_000)  # noqa: E731
WAVE_RING = ("[Daemon]\nRing=canary\n[Ring canary]\nSoakSec=60\nRebootCalendar=*-*-* 02:00\n"
             "RebootWindowSec=3600\nRebootDelaySec=120\n")


@pytest.fixture
def wave(system_double, dropin, newer_kernel):
    """A required reboot, a ring with reboot waves and the timer fired just now."""
    def ring(extra=""):
        dropin(WAVE_RING + extra)
        wait_for(lambda: lpmaint_json("reboot", "status")["calendar"] == "*-*-* 02:00", what="calendar")
    # The timer first: lpmaintd asks systemd for the next window at most once a minute.
    system_double.set_unit("lpmaint-reboot-wave.timer", last_trigger_usec=NOW(), next_elapse_usec=NOW() + 86400_000_000)
    ring()
    system_double.ring = ring
    yield system_double
    # Whatever a test left scheduled, the next one starts without it.
    if lpmaint_json("reboot", "status")["wave_state"] not in ("", "verifying"):
        lpmaint("reboot", "cancel", user=AUTO)


def gates(result):
    return {g["gate"]: g for g in result["gates"]}


def wave_json(user=AUTO, *args):
    r = lpmaint("--json", "reboot", "wave", *args, user=user)
    import json
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def test_dry_run_explains_and_changes_nothing(wave):
    rc, out, err = wave_json(OTHER, "--dry-run")
    assert rc == 0, err
    assert out["verdict"] == "go" and out["dry_run"] is True and out["scheduled_usec"] == 0
    assert gates(out)["hooks"]["detail"] == "no pre-reboot hooks"
    assert wave.calls("ScheduleShutdown") == []
    assert lpmaint_json("reboot", "status")["wave_state"] == ""


def test_wave_schedules_the_reboot_through_logind(wave):
    before = NOW()
    rc, out, err = wave_json()
    assert rc == 0, err
    assert out["verdict"] == "go"
    calls = wave.calls("ScheduleShutdown")
    assert len(calls) == 1 and calls[0]["args"][0] == "reboot" and calls[0]["uid"] == 0
    when = calls[0]["args"][1]
    # RebootDelaySec=120: logind's wall messages and shutdown -c get their time.
    assert before + 119_000_000 <= when <= NOW() + 121_000_000
    assert out["scheduled_usec"] == when and wave.scheduled() == ("reboot", when)
    status = lpmaint_json("reboot", "status")
    assert status["wave_state"] == "scheduled" and status["scheduled_usec"] == when and status["scheduled_by"] == "wave"
    assert status["next_window_usec"] > NOW()
    assert any(r["action"] == "reboot-wave" and r["result"] == "scheduled" and "kernel-installed" in r["message"]
               for r in history())
    # A second run finds its part done: no second schedule.
    rc, out, _ = wave_json()
    assert rc == 0 and out["scheduled_usec"] == when and len(wave.calls("ScheduleShutdown")) == 1


def test_an_ordinary_user_may_not_run_a_wave(wave):
    rc, _, err = wave_json(OTHER)
    assert rc == 3 and "AccessDenied" in err
    assert wave.calls("ScheduleShutdown") == []
    assert any(r["action"] == "reboot-wave" and r["result"] == "denied" for r in history())


def test_a_blocked_wave_waits_and_continues(wave):
    wave.set(inhibitors=[{"who": "backup", "why": "nightly backup running"}])
    rc, out, _ = wave_json()
    # 4 (busy): lpmaint-reboot-wave.service tries again while the window lasts.
    assert rc == 4 and out["verdict"] == "blocked"
    assert "backup: nightly backup running" in gates(out)["inhibitors"]["detail"]
    assert lpmaint_json("reboot", "status")["wave_state"] == "waiting"
    assert wave.calls("ScheduleShutdown") == []
    wave.set(inhibitors=[])
    rc, out, _ = wave_json()
    assert rc == 0 and out["verdict"] == "go" and len(wave.calls("ScheduleShutdown")) == 1


def test_a_wave_cut_off_by_its_window_continues_in_the_next(wave):
    wave.set(inhibitors=[{"who": "db", "why": "migration"}])
    assert wave_json()[0] == 4
    # The window closed: the wave is done for now (exit 0) but stays open.
    wave.set_unit("lpmaint-reboot-wave.timer", last_trigger_usec=NOW() - 7200_000_000)
    wave.set(inhibitors=[])
    rc, out, _ = wave_json()
    assert rc == 0 and out["verdict"] == "outside-window"
    assert lpmaint_json("reboot", "status")["wave_state"] == "waiting"
    # The next window.
    wave.set_unit("lpmaint-reboot-wave.timer", last_trigger_usec=NOW())
    rc, out, _ = wave_json()
    assert rc == 0 and out["verdict"] == "go" and len(wave.calls("ScheduleShutdown")) == 1


HOOKS = ("PreRebootHooks=drain notify\n[PreRebootHook drain]\nUnit=drain.service\nTimeoutSec=5\n"
         "[PreRebootHook notify]\nUnit=notify.service\nBlocking=no\n")


def test_pre_reboot_hooks_run_before_the_reboot(wave):
    wave.ring(HOOKS)
    wave.set_unit("drain.service", job_result="done", job_delay_ms=200)
    wave.set_unit("notify.service", job_result="failed")
    rc, out, _ = wave_json(OTHER, "--dry-run")
    assert "would run drain (drain.service, blocking), notify (notify.service, advisory)" in gates(out)["hooks"]["detail"]
    assert wave.calls("StartUnit") == []
    rc, out, _ = wave_json()
    # The advisory hook failed: recorded, not in the way.
    assert rc == 0 and out["verdict"] == "go", out
    assert gates(out)["hooks"]["passed"] is True and "notify (advisory): unit job failed" in gates(out)["hooks"]["detail"]
    assert sorted(c["args"][0] for c in wave.calls("StartUnit")) == ["drain.service", "notify.service"]
    assert len(wave.calls("ScheduleShutdown")) == 1


def test_a_failing_blocking_hook_holds_the_reboot(wave):
    wave.ring(HOOKS)
    wave.set_unit("drain.service", job_result="failed")
    wave.set_unit("notify.service", job_result="done")
    rc, out, _ = wave_json()
    assert rc == 4 and out["verdict"] == "blocked"
    assert gates(out)["hooks"]["passed"] is False and "drain (blocking): unit job failed" in gates(out)["hooks"]["detail"]
    assert wave.calls("ScheduleShutdown") == []
    assert lpmaint_json("reboot", "status")["wave_state"] == "waiting"


def test_the_gates_are_looked_at_again_after_the_hooks(wave):
    wave.ring(HOOKS)
    wave.set_unit("drain.service", job_result="done", job_delay_ms=2000)
    wave.set_unit("notify.service", job_result="done")
    import json
    cmd = ["runuser", "-u", AUTO, "--", "lpmaint", "--no-ask-password", "--json", "reboot", "wave"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: lpmaint_json("reboot", "status")["wave_state"] == "hooks", what="hooks running")
    # While the hooks ran, someone started a backup that blocks shutdown.
    wave.set(inhibitors=[{"who": "backup", "why": "started during the hooks"}])
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 4, err
    result = json.loads(out)
    assert result["verdict"] == "blocked" and gates(result)["hooks"]["passed"] is True
    assert "started during the hooks" in gates(result)["inhibitors"]["detail"]
    assert wave.calls("ScheduleShutdown") == [] and lpmaint_json("reboot", "status")["wave_state"] == "waiting"


def test_a_hook_that_hangs_times_out_and_holds_the_reboot(wave):
    wave.ring(HOOKS.replace("TimeoutSec=5", "TimeoutSec=1"))
    wave.set_unit("drain.service", job_result=None)
    rc, out, _ = wave_json()
    assert rc == 4 and "drain (blocking): timed out after 1 s" in gates(out)["hooks"]["detail"]
    assert wave.calls("ScheduleShutdown") == []


def test_logind_refusing_schedules_nothing(wave):
    wave.set(schedule_shutdown_error={"name": "org.freedesktop.DBus.Error.AccessDenied", "message": "no"})
    r = lpmaint("reboot", "wave", user=AUTO)
    assert r.returncode == 1 and "org.lpmaint1.Error.RebootFailed" in r.stderr
    status = lpmaint_json("reboot", "status")
    assert status["wave_state"] == "waiting" and status["scheduled_usec"] == 0


def test_cancel(wave):
    assert wave_json()[0] == 0
    r = lpmaint("reboot", "cancel", user=AUTO)
    assert r.returncode == 0, r.stderr
    assert len(wave.calls("CancelScheduledShutdown")) == 1 and wave.scheduled() == ("", 0)
    status = lpmaint_json("reboot", "status")
    assert status["wave_state"] == "" and status["scheduled_usec"] == 0
    r = lpmaint("reboot", "cancel", user=AUTO)
    assert r.returncode == 1 and "org.lpmaint1.Error.NoRebootScheduled" in r.stderr
    assert lpmaint("reboot", "cancel", user=OTHER).returncode == 3


def test_shutdown_c_reopens_the_wave(wave):
    assert wave_json()[0] == 0
    # An administrator ran shutdown -c: logind has nothing scheduled any more.
    subprocess.run(["busctl", "call", "org.freedesktop.login1", "/org/freedesktop/login1",
                    "org.freedesktop.login1.Manager", "CancelScheduledShutdown"], check=True, capture_output=True)
    rc, out, _ = wave_json()
    assert rc == 0 and out["verdict"] == "go" and len(wave.calls("ScheduleShutdown")) == 2
    assert any(r["action"] == "reboot-cancelled" and "outside lpmaint" in r["message"] for r in history())


def test_an_administrator_schedules_and_requests(system_double):
    before = NOW()
    r = lpmaint("reboot", "schedule", "+10", "--reason=kernel upgrade", user=AUTO)
    assert r.returncode == 0, r.stderr
    calls = system_double.calls("ScheduleShutdown")
    assert len(calls) == 1 and before + 599_000_000 <= calls[0]["args"][1] <= NOW() + 601_000_000
    status = lpmaint_json("reboot", "status")
    assert status["scheduled_by"] == "admin" and status["reboot_required"] is True
    assert [x["code"] for x in status["reasons"]] == ["admin-request"] and "kernel upgrade" in status["reasons"][0]["text"]
    assert lpmaint("reboot", "cancel", user=AUTO).returncode == 0
    assert lpmaint_json("reboot", "status")["reboot_required"] is False

    assert lpmaint("reboot", "request", "--reason=firmware", user=AUTO).returncode == 0
    status = lpmaint_json("reboot", "status")
    assert status["reasons"][0]["code"] == "admin-request" and status["wave_state"] == ""
    assert system_double.calls("ScheduleShutdown") == calls
    assert lpmaint("reboot", "cancel", user=AUTO).returncode == 0
    assert lpmaint_json("reboot", "status")["reboot_required"] is False


@pytest.mark.parametrize("args,rc,text", [
    (("schedule", "yesterday"), 2, "Invalid time"),
    (("schedule", "2001-01-01 00:00"), 2, "not between now and a year from now"),
    (("schedule",), 2, "needs a TIME"),
    (("wave", "now"), 2, "Too many arguments"),
    (("request", "--dry-run"), 2, "--dry-run only applies"),
    (("status", "--reason=x"), 2, "--reason= only applies"),
    (("reboot",), 2, "Unknown reboot command"),
])
def test_bad_reboot_commands(system_double, args, rc, text):
    r = lpmaint("reboot", *args, user=AUTO)
    assert r.returncode == rc and text in r.stderr, r.stderr
    assert system_double.calls("ScheduleShutdown") == []


def test_bad_reason_is_refused(system_double):
    # lpmaint catches it (a usage error), and lpmaintd refuses it on its own.
    r = lpmaint("reboot", "request", "--reason=" + "x" * 600, user=AUTO)
    assert r.returncode == 2 and "Invalid --reason=" in r.stderr
    dest = ("org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager")
    r = run("busctl", "--system", "call", *dest, "RequestReboot", "s", "x" * 600, user=AUTO)
    assert r.returncode != 0 and "printable text" in r.stderr, r.stderr
    r = run("busctl", "--system", "call", *dest, "ScheduleReboot", "ts", str(NOW() - 3600 * 1_000_000), "",
            user=AUTO)
    assert r.returncode != 0 and "within a year" in r.stderr, r.stderr
    assert lpmaint_json("reboot", "status")["reboot_required"] is False


def start_reboot_job(double):
    """What systemd shows while it takes the system down for a reboot."""
    double.set(system_state="stopping")
    double.set_unit("reboot.target", job_result=None)
    subprocess.run(["busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                    "org.freedesktop.systemd1.Manager", "StartUnit", "ss", "reboot.target", "replace"],
                   check=True, capture_output=True)


def new_boot():
    sim_write("proc/sys/kernel/random/boot_id", "7e7e7e7e-0000-4000-8000-%012d" % int(time.time() * 1000 % 10**12))
    restart_daemon()


def test_a_planned_reboot_is_recorded_and_closed_by_the_health_checks(wave):
    wave.ring("HealthChecks=ok\n[HealthCheck ok]\nExecStart=/bin/true\n")
    assert wave_json()[0] == 0
    start_reboot_job(wave)
    kill_daemon(signal.SIGTERM)
    wave.set(system_state="running")
    os.unlink(sim_path("boot", "vmlinuz-9999"))
    new_boot()
    fake_bzimage(sim_path("boot", "vmlinuz-9999"), "9999.0.0-1-amd64")  # for the fixture's teardown
    boots = lpmaint_json("signals")["boots"]
    assert boots[-2]["end"] == "planned-reboot" and boots[-2]["reason"].startswith("wave: kernel-installed"), boots[-2]
    wait_for(lambda: lpmaint_json("reboot", "status")["wave_state"] == "", what="wave closed")
    assert any(r["action"] == "reboot-completed" and r["result"] == "success" for r in history())


def start_with_fault(point, action):
    """Starts lpmaintd with the fault matrix's shim (tests/faults/fault-shim.c)
    acting at @point ("CALL PATH OCCURRENCE" below the state directory)."""
    shim = os.path.join(ENV.get("LPMAINT_BUILD_DIR", ""), "tests", "faults", "fault-shim.so")
    if not os.path.exists(shim):
        pytest.skip(f"{shim} is not built")
    env = dict(ENV, LD_PRELOAD=shim, LPMAINT_FAULT_PREFIX=state_dir(), LPMAINT_FAULT_POINT=point,
               LPMAINT_FAULT_ACTION=action, LPMAINT_SANDBOX_START_TIMEOUT="10")
    return run(os.path.join(SANDBOX, "lpmaintd-start"), env=env)


def recorded_wave():
    with open(os.path.join(state_dir(), "reboot-wave")) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def records(action, result, since):
    return [r for r in history(since=since) if r["action"] == action and r["result"] == result]


def test_a_restart_in_the_new_boot_finishes_the_planned_reboot(wave):
    """lpmaintd killed in the new boot's first start as it writes that the
    reboot happened: the restart, in the same boot, goes by the record (a wave
    scheduled in an earlier boot) and closes the wave, with one record."""
    wave.ring("HealthChecks=ok\n[HealthCheck ok]\nExecStart=/bin/true\n")
    since = NOW()
    assert wave_json()[0] == 0
    start_reboot_job(wave)
    kill_daemon(signal.SIGTERM)
    wave.set(system_state="running")
    os.unlink(sim_path("boot", "vmlinuz-9999"))
    sim_write("proc/sys/kernel/random/boot_id", "7e7e7e7e-0000-4000-8000-%012d" % int(time.time() * 1000 % 10**12))
    p = start_with_fault("rename reboot-wave 1", "kill")
    assert p.returncode != 0, "lpmaintd was not killed at the wave's write"
    assert recorded_wave()["State"] == "scheduled"
    restart_daemon()
    fake_bzimage(sim_path("boot", "vmlinuz-9999"), "9999.0.0-1-amd64")  # for the fixture's teardown
    wait_for(lambda: lpmaint_json("reboot", "status")["wave_state"] == "", what="wave closed")
    assert len(records("reboot-completed", "success", since)) == 1
    assert lpmaint_json("signals")["boots"][-2]["end"] == "planned-reboot"
    # A further restart in the boot has nothing left to do.
    kill_daemon(signal.SIGKILL)
    restart_daemon()
    assert lpmaint_json("reboot", "status")["wave_state"] == ""
    assert len(records("reboot-completed", "success", since)) == 1


@pytest.mark.parametrize("errno_name", ["EIO", "ENOSPC"])
def test_an_outcome_the_audit_log_cannot_take_is_appended_later_once(wave, errno_name):
    """The schedule's outcome record fails to append (the "accepted" record is
    the audit log's 1st write, the outcome its 2nd): logind has the reboot, so
    the wave's record keeps the outcome and it is appended on the retry, once."""
    since = NOW()
    with fail_at("write", errno_name, when="2", path=audit_log()):
        rc, out, err = wave_json()
        assert rc == 0, err
    assert wave.scheduled()[1] == out["scheduled_usec"]
    wait_for(lambda: records("reboot-wave", "scheduled", since), what="the outcome appended")
    restart_daemon_after_kill()
    assert len(records("reboot-wave", "scheduled", since)) == 1
    assert lpmaint("audit", "verify", audit_log()).returncode == 0


def test_an_outcome_recorded_but_not_appended_is_appended_at_start(wave):
    """Killed as it appends the schedule's outcome: the wave's record holds it,
    the next start appends it, once."""
    since = NOW()
    with kill_at("write", when=2, path=audit_log()):
        wave_json()
    assert "Outcome.0" in recorded_wave()
    restart_daemon()
    assert len(records("reboot-wave", "scheduled", since)) == 1
    restart_daemon_after_kill()
    assert len(records("reboot-wave", "scheduled", since)) == 1


def restart_daemon_after_kill():
    kill_daemon(signal.SIGKILL)
    restart_daemon()


def test_a_due_reboot_is_planned_even_when_systemd_cannot_say(system_double):
    # systemd too busy going down to answer in time: our own due schedule says it.
    assert lpmaint("reboot", "schedule", "now", "--reason=maintenance", user=AUTO).returncode == 0
    # Going down, but no reboot.target job to be seen.
    system_double.set(system_state="stopping")
    kill_daemon(signal.SIGTERM)
    new_boot()
    prev = lpmaint_json("signals")["boots"][-2]
    assert prev["end"] == "planned-reboot" and prev["reason"].startswith("admin: admin-request"), prev
    # The request was for the boot that ended.
    assert lpmaint_json("reboot", "status")["reboot_required"] is False


def reboot_holding_the_fleet_lock(wave):
    """A wave that took the fleet lock, and the planned reboot it scheduled."""
    # The caller took the fleet lock (lpmaint reboot wave does, with FleetLockURL=).
    r = subprocess.run(["busctl", "call", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "RunRebootWave",
                        "a{sv}", "1", "fleet-lock", "b", "true"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith('sa(sbs)t "go"'), r.stderr
    start_reboot_job(wave)
    kill_daemon(signal.SIGTERM)
    wave.set(system_state="running")
    new_boot()


def test_failed_checks_after_a_planned_reboot_keep_the_fleet_lock(wave):
    wave.ring("HealthChecks=bad\n[HealthCheck bad]\nExecStart=/bin/false\n")
    reboot_holding_the_fleet_lock(wave)
    wait_for(lambda: lpmaint_json("reboot", "status")["wave_state"] == "failed", what="checks failed")
    status = lpmaint_json("reboot", "status")
    assert status["fleet_lock_held"] is True
    r = lpmaint("reboot", "finish", user=AUTO)
    assert r.returncode == 1 and "stays held" in r.stderr
    assert any(r["action"] == "reboot-completed" and r["result"] == "failed" for r in history())
    # The administrator looked: closing the wave lets the lock go.
    assert lpmaint("reboot", "cancel", user=AUTO).returncode == 0
    r = lpmaint("reboot", "finish", user=AUTO)
    assert r.returncode == 0, r.stderr
    assert lpmaint_json("reboot", "status")["fleet_lock_held"] is False


def test_finish_waits_for_the_checks_after_a_planned_reboot(wave, workdir):
    """lpmaint reboot finish while the checks run: it waits for them, then
    gives the fleet lock back."""
    go = os.path.join(workdir, "checks-may-pass")
    wave.ring("HealthChecks=gated\n[HealthCheck gated]\n"
              f"ExecStart=/bin/sh -c 'while [ ! -e {go} ]; do sleep 0.1; done'\nTimeoutSec=60\n")
    reboot_holding_the_fleet_lock(wave)
    wait_for(lambda: lpmaint_json("reboot", "status")["wave_state"] == "verifying", what="checks running")
    proc = subprocess.Popen(["runuser", "-u", AUTO, "--", "lpmaint", "--no-ask-password", "reboot", "finish"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert proc.poll() is None, "reboot finish did not wait for the checks"
        open(go, "w").close()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "released" in out, err
    status = lpmaint_json("reboot", "status")
    assert status["wave_state"] == "" and status["fleet_lock_held"] is False


def test_bad_wave_settings_are_refused(dropin):
    dropin(WAVE_RING)
    wait_for(lambda: lpmaint_json("reboot", "status")["calendar"] != "", what="calendar")
    for bad in ("RebootDelaySec=-1", "RebootDelaySec=100000", "FleetLockURL=file:///etc/passwd",
                "FleetLockGroup=a b", "PreRebootHooks=missing", "RebootRandomizedDelaySec=x"):
        dropin(WAVE_RING + bad + "\n")
        time.sleep(0.3)
        assert lpmaint_json("reboot", "status")["delay_usec"] == 120_000_000, bad
    with open(os.environ["LPMAINT_DAEMON_LOG"], errors="replace") as f:
        log = f.read()
    assert "PreRebootHooks= names missing, which has no [PreRebootHook missing] group" in log


GENERATOR = os.path.join(ENV.get("LPMAINT_BUILD_DIR", ""), "service", "lpmaint-reboot-wave-generator")


def run_generator(tmp, config_text):
    conf = os.path.join(tmp, "lpmaint.conf")
    with open(conf, "w") as f:
        f.write(config_text)
    out = os.path.join(tmp, "gen")
    os.makedirs(out, exist_ok=True)
    r = subprocess.run([GENERATOR, f"--config={conf}", out, out, out], capture_output=True, text=True)
    return r, out


def test_generator_writes_the_timers_calendar(workdir):
    r, out = run_generator(workdir, WAVE_RING + "RebootRandomizedDelaySec=900\n")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "lpmaint-reboot-wave.timer.d", "50-ring.conf")) as f:
        text = f.read()
    assert "[Timer]\nOnCalendar=*-*-* 02:00\nRandomizedDelaySec=900\n" in text
    link = os.path.join(out, "timers.target.wants", "lpmaint-reboot-wave.timer")
    assert os.readlink(link).endswith("/systemd/system/lpmaint-reboot-wave.timer")


def test_generator_without_a_calendar_or_with_a_bad_config_writes_nothing(workdir):
    r, out = run_generator(workdir, "[Daemon]\nRing=canary\n[Ring canary]\nSoakSec=60\n")
    assert r.returncode == 0 and os.listdir(out) == []
    r, out = run_generator(workdir, WAVE_RING + "RebootWindowSec=1\n")
    assert r.returncode == 1 and "RebootWindowSec=" in r.stderr and os.listdir(out) == []


FLEETLOCK_SERVER = os.path.join(ENV.get("LPMAINT_REPO", ""), "tests", "fleetlock", "fleetlock-server.py")


@pytest.fixture
def fleetlock(monkeypatch, workdir):
    """The FleetLock test server on loopback, and the build's lpmaint-fleetlock for the CLI."""
    import json
    import urllib.request
    monkeypatch.setenv("LPMAINT_FLEETLOCK_HELPER",
                       os.path.join(ENV.get("LPMAINT_BUILD_DIR", ""), "fleetlock", "lpmaint-fleetlock"))
    proc = subprocess.Popen(["/usr/bin/python3", FLEETLOCK_SERVER, "--slots", "1"], stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url

    class Server:
        def __init__(self):
            self.url = url

        def holders(self, group):
            with urllib.request.urlopen(url + "/state", timeout=5) as r:
                return json.load(r)["groups"].get(group, [])

        def take(self, group, host_id):
            req = urllib.request.Request(url + "/v1/pre-reboot", method="POST", headers={
                "fleet-lock-protocol": "true", "Content-Type": "application/json"},
                data=json.dumps({"client_params": {"id": host_id, "group": group}}).encode())
            urllib.request.urlopen(req, timeout=5).close()
    yield Server()
    proc.terminate()
    proc.wait(timeout=10)


def test_fleet_lock_is_taken_for_the_reboot_and_given_back_after_it(wave, fleetlock):
    wave.ring(f"FleetLockURL={fleetlock.url}\nFleetLockGroup=web\n")
    r = lpmaint("reboot", "wave", user=AUTO)
    assert r.returncode == 0, r.stderr
    assert len(fleetlock.holders("web")) == 1 and len(wave.calls("ScheduleShutdown")) == 1
    assert lpmaint_json("reboot", "status")["fleet_lock_held"] is True
    # Not back yet: the lock stays.
    assert lpmaint("reboot", "finish", user=AUTO).returncode == 1
    start_reboot_job(wave)
    kill_daemon(signal.SIGTERM)
    wave.set(system_state="running")
    new_boot()
    wait_for(lambda: lpmaint_json("reboot", "status")["wave_state"] == "", what="wave closed")
    r = lpmaint("reboot", "finish", user=AUTO)
    assert r.returncode == 0, r.stderr
    assert fleetlock.holders("web") == [] and lpmaint_json("reboot", "status")["fleet_lock_held"] is False
    assert any(r["action"] == "fleet-lock-release" and r["result"] == "accepted" for r in history())


def test_a_lock_held_by_another_host_holds_the_wave(wave, fleetlock):
    wave.ring(f"FleetLockURL={fleetlock.url}\nFleetLockGroup=web\n")
    fleetlock.take("web", "another-host")
    r = lpmaint("reboot", "wave", user=AUTO)
    assert r.returncode == 4 and "fleet lock of group web is not free" in r.stderr, r.stderr
    assert wave.calls("ScheduleShutdown") == [] and fleetlock.holders("web") == ["another-host"]
    assert lpmaint_json("reboot", "status")["fleet_lock_held"] is False


def test_a_host_that_does_not_go_takes_no_lock(wave, fleetlock):
    wave.ring(f"FleetLockURL={fleetlock.url}\n")
    wave.set(inhibitors=[{"who": "backup", "why": "running"}])
    assert lpmaint("reboot", "wave", user=AUTO).returncode == 4
    assert fleetlock.holders("default") == []


# ---- lpmaintd killed while it schedules a reboot (crash_points.py)


def test_a_schedule_logind_has_but_the_record_lacks_is_adopted(system_double):
    """Killed after logind took the schedule, before lpmaintd recorded its
    answer: the intent was recorded first, and the restart adopts what logind has."""
    # Renames in the state directory (through its descriptor): of the wave
    # record, 1 the intent, 2 logind's answer.
    with kill_at("rename", when=2, path=state_dir()):
        lpmaint("reboot", "schedule", "+10", "--reason=kernel upgrade", user=AUTO)
    kind, when = system_double.scheduled()
    assert kind == "reboot" and when > NOW()
    restart_daemon()
    status = lpmaint_json("reboot", "status")
    assert status["wave_state"] == "scheduled" and status["scheduled_usec"] == when and status["scheduled_by"] == "admin"
    assert any(r["action"] == "reboot-schedule" and r["result"] == "success" and "adopted from logind" in r["message"]
               for r in history())
    assert lpmaint("reboot", "cancel", user=AUTO).returncode == 0
    assert system_double.scheduled() == ("", 0)


def test_a_schedule_that_never_reached_logind_is_withdrawn(system_double):
    """Killed after recording the intent, with logind never scheduling: the
    restart finds logind without it and reopens, as after shutdown -c."""
    system_double.set(schedule_shutdown_error={"name": "org.freedesktop.DBus.Error.AccessDenied", "message": "no"})
    # Renames in the state directory (through its descriptor): of the wave
    # record, 1 the intent, 2 its withdrawal after logind's refusal.
    with kill_at("rename", when=2, path=state_dir()):
        lpmaint("reboot", "schedule", "+10", "--reason=kernel upgrade", user=AUTO)
    system_double.set(schedule_shutdown_error=None)
    assert system_double.scheduled() == ("", 0)
    restart_daemon()
    status = lpmaint_json("reboot", "status")
    assert status["scheduled_usec"] == 0 and status["wave_state"] == "waiting"
    assert any(r["action"] == "reboot-schedule" and r["result"] == "failed" and "before logind scheduled" in r["message"]
               for r in history())
    assert lpmaint("reboot", "cancel", user=AUTO).returncode == 0
