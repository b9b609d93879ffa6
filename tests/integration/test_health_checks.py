# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ring's health checks run on request (lpmaint ring check), their output is their
result's detail, and their results, which gate a planned reboot, survive lpmaintd."""
import os
import re
import signal

from conftest import (AUTO, EXIT_DENIED, EXIT_FAILED, OTHER, SANDBOX, history, kill_daemon, lpmaint, lpmaint_json,
                      restart_daemon, simulate_reboot, unique, wait_for, wait_state, write_dropin)
from test_reapply import boot_reapply
from test_soak import kernel_says, set_ring

STATE = os.environ.get("LPMAINT_STATE_DIR", "")
RECORD = os.path.join(STATE, "health-checks")


def daemon_log():
    with open(os.environ.get("LPMAINT_DAEMON_LOG", os.path.join(SANDBOX, "lpmaintd.log")), errors="replace") as f:
        return f.read()


def ring_checks(checks, groups):
    write_dropin(f"[Daemon]\nRing=canary\n\n[Ring canary]\nSoakSec=3600\nHealthChecks={checks}\n\n{groups}")
    wait_for(lambda: lpmaint_json("ring")["health_checks"] == checks.split(), what="ring configured")


def signals_check(name):
    return [c for c in lpmaint_json("signals")["health_checks"] if c["name"] == name][0]


def health_gate():
    return {g["gate"]: g for g in lpmaint_json("reboot", "plan")["gates"]}["health-checks"]


def test_a_check_s_output_is_its_detail_not_loose_log_lines(dropin):
    token = unique("out")
    ring_checks("loud fine", f"[HealthCheck loud]\nExecStart=/bin/sh -c 'for i in 1 2 3 4 5 6; do echo "
                f"{token}-line$i; done; echo {token}-err >&2; exit 3'\n\n"
                f"[HealthCheck fine]\nExecStart=/bin/echo {token}-fine\n")
    p = lpmaint("ring", "check", user=AUTO)
    assert p.returncode == EXIT_FAILED, p.stderr
    assert "loud" in p.stdout and "FAILED" in p.stdout and f"{token}-err" in p.stdout, p.stdout

    loud = signals_check("loud")
    assert loud["passed"] is False and loud["exit_status"] == 3
    # The last four lines, stderr included; the earlier ones are dropped.
    assert loud["detail"] == f"exit status 3: {token}-line4 | {token}-line5 | {token}-line6 | {token}-err", loud
    fine = signals_check("fine")
    assert fine["passed"] is True and fine["detail"] == f"exit status 0: {token}-fine"

    log = daemon_log()
    # Attributed, at the priority of the outcome, with the text kept.
    assert f"<4>Health check loud failed: exit status 3: {token}-line4" in log
    assert f"<6>Health check fine passed: exit status 0: {token}-fine" in log
    # Nothing the check printed reaches the log on a line of its own, and no line lost its text.
    assert not re.search(rf"^{token}", log, re.M)
    assert not re.search(r"^<\d>(<\d>|$)", log, re.M)


def test_ring_check_reopens_the_gate_and_the_gate_survives_a_restart(dropin, workdir):
    flag = os.path.join(workdir, "broken")
    ring_checks("svc", f"[HealthCheck svc]\nExecStart=/bin/sh -c 'test ! -e {flag}'\n")
    open(flag, "w").close()

    p = lpmaint("ring", "check", user=OTHER)
    assert p.returncode == EXIT_DENIED, p.stderr
    p = lpmaint("ring", "check", user=AUTO)
    assert p.returncode == EXIT_FAILED, p.stderr
    gate = health_gate()
    assert gate["passed"] is False and "svc" in gate["detail"], gate

    # A restart reads the last results back: the gate stays closed.
    kill_daemon(signal.SIGTERM)
    restart_daemon()
    assert signals_check("svc")["passed"] is False
    assert health_gate()["passed"] is False

    os.unlink(flag)
    p = lpmaint("--json", "ring", "check", user=AUTO)
    assert p.returncode == 0, p.stderr
    assert '"name":"svc"' in p.stdout.replace(" ", "") and '"passed":true' in p.stdout.replace(" ", "")
    assert health_gate()["passed"] is True

    runs = [(r["action"], r["result"], r["user"]) for r in history() if r["action"] == "run-health-checks"]
    assert ("run-health-checks", "denied", OTHER) in [(a, res, u.split(" ")[0]) for a, res, u in runs]
    assert [res for a, res, u in runs if u.startswith(AUTO)][-4:] == ["accepted", "failed", "accepted", "success"]


def test_a_ring_without_checks_has_nothing_to_run(dropin):
    set_ring(3600)
    p = lpmaint("ring", "check", user=AUTO)
    assert p.returncode == 0 and "no health checks" in p.stdout, (p.stdout, p.stderr)


def test_a_damaged_record_is_set_aside(dropin):
    ring_checks("ok", "[HealthCheck ok]\nExecStart=/bin/true\n")
    assert lpmaint("ring", "check", user=AUTO).returncode == 0
    assert os.path.exists(RECORD)
    kill_daemon(signal.SIGTERM)
    with open(RECORD, "w") as f:
        f.write("[Check ok]\nPassed=maybe\n")
    restart_daemon()
    assert os.path.exists(RECORD + ".damaged")
    os.unlink(RECORD + ".damaged")
    assert "health check results" in daemon_log()
    assert lpmaint("ring", "check", user=AUTO).returncode == 0
    assert signals_check("ok")["passed"] is True


def test_lpmaintd_s_own_rollback_is_marked_as_lpmaintd(make_patch, dropin):
    set_ring(60)
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    kernel_says("WARNING: CPU: 1 PID: 42 at kernel/sched/core.c:100 resched_curr+0x1/0x2")
    wait_state(a.name, {"disabled"})
    wait_for(lambda: any(r["action"] == "disable" and r["result"] == "success" for r in history(patch=a.name)),
             what="the rollback's outcome audited")
    own = [(r["action"], r["result"]) for r in history(patch=a.name) if r["by_lpmaintd"]]
    assert ("disable", "success") in own, own


def test_lpmaintd_s_own_reapply_is_marked_as_lpmaintd(make_patch):
    b = make_patch()
    assert lpmaint("apply", b.manifest, user=AUTO).returncode == 0
    wait_state(b.name, {"applied"})
    simulate_reboot()
    wait_for(lambda: boot_reapply() == "done", timeout=20, what="re-apply done")
    wait_state(b.name, {"applied"})
    records = history(patch=b.name)
    reapplied = [r for r in records if r["action"] == "reapply"]
    assert reapplied and all(r["by_lpmaintd"] for r in reapplied), reapplied
    # The automation user's own apply stays theirs.
    assert not [r for r in records if r["action"] == "apply" and r["by_lpmaintd"]]
    assert lpmaint("disable", b.name, user=AUTO).returncode == 0
