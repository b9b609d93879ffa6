# SPDX-License-Identifier: LGPL-2.1-or-later
"""The systemd and logind test double answers as the real services do: busctl
(an sd-bus client, like lpmaintd) for answers, dbus-python for error names and signals."""
import json
import os
import pwd
import time

import dbus
import pytest
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

from conftest import OTHER, run
from system_double import (LOGIN1, LOGIN1_MANAGER, LOGIN1_PATH, SYSTEMD1, SYSTEMD1_MANAGER, SYSTEMD1_PATH,
                           USEC_INFINITY, bus_label_escape, bus_label_unescape, unit_path)

WAVE_TIMER_PATH = "/org/freedesktop/systemd1/unit/lpmaint_2dreboot_2dwave_2etimer"


def busctl(*args, user=None):
    """busctl --json=short ARGS: (type, data), or (None, None) for a reply without values."""
    p = run("busctl", "--system", "--json=short", *args, user=user)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout) if p.stdout.strip() else {}
    return out.get("type"), out.get("data")


def login1(method, *args, user=None):
    return busctl("call", LOGIN1, LOGIN1_PATH, LOGIN1_MANAGER, method, *args, user=user)


def systemd1(method, *args):
    return busctl("call", SYSTEMD1, SYSTEMD1_PATH, SYSTEMD1_MANAGER, method, *args)


@pytest.fixture
def client():
    """A connection of our own on the sandbox's bus, with signals dispatched by spin()."""
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"], mainloop=DBusGMainLoop())
    yield bus
    bus.close()


def spin(until, timeout):
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        context.iteration(False)
        time.sleep(0.01)
    return until()


def dbus_error(call):
    with pytest.raises(dbus.exceptions.DBusException) as e:
        call()
    return e.value.get_dbus_name(), e.value.get_dbus_message()


def test_escaping_like_systemd():
    assert bus_label_escape("lpmaint-reboot-wave.timer") == "lpmaint_2dreboot_2dwave_2etimer"
    assert bus_label_escape("1x@.service") == "_31x_40_2eservice"
    assert bus_label_escape("") == "_"
    for s in ("lpmaint-reboot-wave.timer", "1x@.service", "", "ä.target"):
        assert bus_label_unescape(bus_label_escape(s)) == s
    assert bus_label_unescape("a_2") is None and bus_label_unescape("a-b") is None


def test_defaults(system_double):
    assert login1("ListInhibitors") == ("a(ssssuu)", [[]])
    assert login1("ListUsers") == ("a(uso)", [[]])
    assert busctl("get-property", LOGIN1, LOGIN1_PATH, LOGIN1_MANAGER, "ScheduledShutdown") == ("(st)", ["", 0])
    assert busctl("get-property", SYSTEMD1, SYSTEMD1_PATH, SYSTEMD1_MANAGER, "SystemState") == ("s", "running")
    assert systemd1("GetUnit", "s", "lpmaint-reboot-wave.timer") == ("o", [WAVE_TIMER_PATH])
    timer = "org.freedesktop.systemd1.Timer"
    assert busctl("get-property", SYSTEMD1, WAVE_TIMER_PATH, timer, "LastTriggerUSec") == ("t", 0)
    assert busctl("get-property", SYSTEMD1, WAVE_TIMER_PATH, timer, "NextElapseUSecRealtime") == ("t", USEC_INFINITY)
    unit = "org.freedesktop.systemd1.Unit"
    assert busctl("get-property", SYSTEMD1, WAVE_TIMER_PATH, unit, "Job") == ("(uo)", [0, "/"])
    # Introspection shows the properties too, as sd-bus services do.
    p = run("busctl", "--system", "introspect", SYSTEMD1, WAVE_TIMER_PATH, check=True)
    assert "LastTriggerUSec" in p.stdout and "ActiveState" in p.stdout and "GetAll" in p.stdout
    assert system_double.calls() == []


def test_answers_follow_the_control_file(system_double):
    system_double.set(inhibitors=[{"who": "backup", "why": "nightly backup", "uid": 34, "pid": 4242}],
                      users=[{"uid": 1000, "name": "alice"}], system_state="stopping")
    assert login1("ListInhibitors") == ("a(ssssuu)", [[["shutdown", "backup", "nightly backup", "block", 34, 4242]]])
    # Reading is open to everyone, as the real bus policy has it.
    assert login1("ListUsers", user=OTHER) == ("a(uso)", [[[1000, "alice", "/org/freedesktop/login1/user/_1000"]]])
    assert busctl("get-property", SYSTEMD1, SYSTEMD1_PATH, SYSTEMD1_MANAGER, "SystemState") == ("s", "stopping")
    system_double.set_unit("lpmaint-reboot-wave.timer", last_trigger_usec=1_700_000_000_000_000,
                           next_elapse_usec=1_700_000_600_000_000)
    _, props = busctl("call", SYSTEMD1, WAVE_TIMER_PATH, "org.freedesktop.DBus.Properties", "GetAll", "s",
                      "org.freedesktop.systemd1.Timer")
    assert props[0]["LastTriggerUSec"] == {"type": "t", "data": 1_700_000_000_000_000}
    assert props[0]["NextElapseUSecRealtime"] == {"type": "t", "data": 1_700_000_600_000_000}


def test_schedule_and_cancel_a_shutdown(system_double):
    when = 1_900_000_000_000_000
    login1("ScheduleShutdown", "st", "dry-reboot", str(when))
    # logind shows the type without "dry-".
    assert system_double.scheduled() == ("reboot", when)
    assert busctl("get-property", LOGIN1, LOGIN1_PATH, LOGIN1_MANAGER, "ScheduledShutdown") == ("(st)", ["reboot", when])
    login1("ScheduleShutdown", "st", "poweroff", str(when + 1), user=OTHER)
    assert system_double.scheduled() == ("poweroff", when + 1)
    assert login1("CancelScheduledShutdown") == ("b", [True])
    assert system_double.scheduled() == ("", 0)
    assert login1("CancelScheduledShutdown") == ("b", [False])

    calls = system_double.calls()
    assert [(c["method"], c["args"], c["uid"], c["result"], c["error"]) for c in calls] == [
        ("ScheduleShutdown", ["dry-reboot", when], 0, None, None),
        ("ScheduleShutdown", ["poweroff", when + 1], pwd.getpwnam(OTHER).pw_uid, None, None),
        ("CancelScheduledShutdown", [], 0, True, None),
        ("CancelScheduledShutdown", [], 0, False, None),
    ]
    assert system_double.calls("CancelScheduledShutdown") == calls[2:]


def test_refused_shutdowns(system_double, client):
    manager = dbus.Interface(client.get_object(LOGIN1, LOGIN1_PATH), LOGIN1_MANAGER)
    for bad in ("suspend", "dry-dry-reboot", "soft-reboot", ""):
        name, _ = dbus_error(lambda: manager.ScheduleShutdown(bad, dbus.UInt64(1)))
        assert name == "org.freedesktop.DBus.Error.InvalidArgs", bad
    system_double.set(schedule_shutdown_error={"name": "org.freedesktop.DBus.Error.AccessDenied",
                                               "message": "Access denied"})
    assert dbus_error(lambda: manager.ScheduleShutdown("reboot", dbus.UInt64(1))) == \
        ("org.freedesktop.DBus.Error.AccessDenied", "Access denied")
    assert system_double.scheduled() == ("", 0)
    assert [c["error"] for c in system_double.calls()] == ["org.freedesktop.DBus.Error.InvalidArgs"] * 4 + \
        ["org.freedesktop.DBus.Error.AccessDenied"]


def test_units(system_double, client):
    manager = dbus.Interface(client.get_object(SYSTEMD1, SYSTEMD1_PATH), SYSTEMD1_MANAGER)
    assert dbus_error(lambda: manager.GetUnit("nothing.service")) == \
        ("org.freedesktop.systemd1.NoSuchUnit", "Unit nothing.service not loaded.")
    assert dbus_error(lambda: manager.StartUnit("nothing.service", "replace")) == \
        ("org.freedesktop.systemd1.NoSuchUnit", "Unit nothing.service not found.")
    assert dbus_error(lambda: manager.StartUnit("lpmaint-reboot-wave.timer", "sometimes"))[0] == \
        "org.freedesktop.DBus.Error.InvalidArgs"
    # systemd loads any unit whose path is asked for: a missing one is "not-found".
    path = unit_path("nothing.service")
    assert busctl("get-property", SYSTEMD1, path, "org.freedesktop.systemd1.Unit", "LoadState") == ("s", "not-found")
    props = dbus.Interface(client.get_object(SYSTEMD1, WAVE_TIMER_PATH), dbus.PROPERTIES_IFACE)
    assert dbus_error(lambda: props.Get("org.freedesktop.systemd1.Unit", "Nope"))[0] == \
        "org.freedesktop.DBus.Error.UnknownProperty"
    assert dbus_error(lambda: props.Get("org.freedesktop.systemd1.Service", "MainPID"))[0] == \
        "org.freedesktop.DBus.Error.UnknownInterface"
    bad = dbus.Interface(client.get_object(SYSTEMD1, SYSTEMD1_PATH + "/unit/no_2dtype"), dbus.PROPERTIES_IFACE)
    assert dbus_error(lambda: bad.GetAll(""))[0] == "org.freedesktop.DBus.Error.UnknownObject"


def test_jobs_end_with_job_removed(system_double, client):
    system_double.set_unit("check-a.service", job_result="failed", job_delay_ms=300)
    system_double.set_unit("check-b.service", job_result=None)
    manager = dbus.Interface(client.get_object(SYSTEMD1, SYSTEMD1_PATH), SYSTEMD1_MANAGER)
    removed = []
    client.add_signal_receiver(lambda *args: removed.append(tuple(args)), "JobRemoved", SYSTEMD1_MANAGER,
                               SYSTEMD1, SYSTEMD1_PATH)

    # systemd sends job signals to whoever asked for the job, subscribed or not.
    started = time.monotonic()
    job_a = manager.StartUnit("check-a.service", "replace")
    unit_a = dbus.Interface(client.get_object(SYSTEMD1, unit_path("check-a.service")), dbus.PROPERTIES_IFACE)
    job_id, job_path = unit_a.Get("org.freedesktop.systemd1.Unit", "Job")
    assert job_path == job_a and job_a == f"/org/freedesktop/systemd1/job/{job_id}"
    assert spin(lambda: removed, 5)
    assert time.monotonic() - started >= 0.3
    assert removed == [(job_id, job_a, "check-a.service", "failed")]
    assert tuple(unit_a.Get("org.freedesktop.systemd1.Unit", "Job")) == (0, "/")

    # A job that never ends; a second start joins it.
    manager.Subscribe()
    assert dbus_error(manager.Subscribe)[0] == "org.freedesktop.systemd1.AlreadySubscribed"
    job_b = manager.StartUnit("check-b.service", "replace")
    assert manager.StartUnit("check-b.service", "fail") == job_b
    assert not spin(lambda: len(removed) > 1, 1)
    unit_b = busctl("get-property", SYSTEMD1, unit_path("check-b.service"), "org.freedesktop.systemd1.Unit", "Job")
    assert unit_b[1][1] == job_b
    assert [(c["args"], c["result"]) for c in system_double.calls("StartUnit")] == [
        (["check-a.service", "replace"], job_a), (["check-b.service", "replace"], job_b),
        (["check-b.service", "fail"], job_b)]


def test_neither_service_without_the_fixture():
    # Runs after the tests above: their doubles are gone.
    for name in (LOGIN1, SYSTEMD1):
        _, has = busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "NameHasOwner", "s", name)
        assert has == [False], name
