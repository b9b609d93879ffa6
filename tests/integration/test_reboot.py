# SPDX-License-Identifier: LGPL-2.1-or-later
"""lpmaint reboot status and plan: reasons and every gate, explained, nothing changed."""
import os

import pytest

from conftest import AUTO, OTHER, lpmaint, lpmaint_json, patches, sim_path, wait_for
from test_signals import fake_bzimage



@pytest.fixture
def newer_kernel():
    path = sim_path("boot", "vmlinuz-9999")
    fake_bzimage(path, "9999.0.0-1-amd64")
    yield
    os.unlink(path)


def gates(plan):
    return {g["gate"]: g for g in plan["gates"]}


def test_nothing_to_do():
    status = lpmaint_json("reboot", "status")
    assert status["reboot_required"] is False and status["reasons"] == [], status
    assert status["calendar"] == "" and status["coverage_ends_usec"] > 0
    plan = lpmaint_json("reboot", "plan")
    assert plan["verdict"] == "not-required"
    assert [g["gate"] for g in plan["gates"]] == ["required", "window", "soak", "health-checks", "inhibitors", "users"]
    assert "Reboot waves: off" in lpmaint("reboot", "status").stdout


def test_anyone_may_plan():
    r = lpmaint("--json", "reboot", "plan", user=OTHER)
    assert r.returncode == 0 and '"verdict"' in r.stdout, r.stderr


def test_required_but_waves_are_off(newer_kernel):
    status = lpmaint_json("reboot", "status")
    assert status["reboot_required"] is True and status["reasons"][0]["code"] == "kernel-installed"
    plan = lpmaint_json("reboot", "plan")
    assert plan["verdict"] == "outside-window"
    assert "RebootCalendar=" in gates(plan)["window"]["detail"]
    text = lpmaint("reboot", "plan").stdout
    assert "Verdict: outside-window" in text and "kernel" in lpmaint("reboot", "status").stdout


def test_gates_close_when_systemd_and_logind_cannot_be_asked(newer_kernel, dropin):
    # The sandbox has neither systemd nor logind on its bus: both gates stay closed.
    dropin("[Daemon]\nRing=canary\n[Ring canary]\nSoakSec=60\nRebootCalendar=Sun 02:00 Europe/Berlin\n"
                "RebootWindowSec=7200\nRebootWithUsers=no\n")
    wait_for(lambda: lpmaint_json("reboot", "status")["calendar"] == "Sun 02:00 Europe/Berlin", what="calendar")
    assert lpmaint_json("reboot", "status")["window_usec"] == 7200 * 1_000_000
    g = gates(lpmaint_json("reboot", "plan"))
    assert g["window"]["passed"] is False and "cannot ask systemd" in g["window"]["detail"]
    assert g["inhibitors"]["passed"] is False and "cannot ask logind" in g["inhibitors"]["detail"]
    assert g["users"]["passed"] is False


def test_a_soaking_patch_holds_a_reboot(make_patch, dropin):
    dropin("[Daemon]\nRing=canary\n[Ring canary]\nSoakSec=600\n")
    wait_for(lambda: lpmaint_json("ring")["ring"] == "canary", what="ring")
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    g = gates(lpmaint_json("reboot", "plan"))
    assert g["soak"]["passed"] is False and "1 patch(es) soaking" in g["soak"]["detail"]
    # Planning changed nothing.
    assert patches()[a.name]["soak_state"] == "soaking"
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def reload_failures():
    with open(os.environ["LPMAINT_DAEMON_LOG"], errors="replace") as f:
        return f.read().count("Reloading the configuration failed")


def test_bad_ring_reboot_settings_are_refused(dropin):
    dropin("[Daemon]\nRing=canary\n[Ring canary]\nRebootWindowSec=7200\n")
    wait_for(lambda: lpmaint_json("reboot", "status")["window_usec"] == 7200 * 1_000_000, what="window")
    for bad in ("RebootWindowSec=5", "RebootWithUsers=perhaps", "RebootCalendar=Sun\x01"):
        before = reload_failures()
        dropin(f"[Daemon]\nRing=canary\n[Ring canary]\n{bad}\n")
        # The last good configuration stays; the daemon logs why.
        wait_for(lambda: reload_failures() == before + 1, what=f"{bad} refused")
        assert lpmaint_json("reboot", "status")["window_usec"] == 7200 * 1_000_000
