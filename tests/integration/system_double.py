#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A test double of the parts of systemd's and logind's bus APIs that lpmaintd uses.

The sandbox can run neither systemd (PID 1) nor logind, so this process owns
org.freedesktop.systemd1 and org.freedesktop.login1 on the sandbox's system bus
and answers with the real services' signatures, object paths and error names
(org.freedesktop.systemd1(5) and org.freedesktop.login1(5), as of systemd 252).

    system_double.py CONTROL_JSON

What it answers comes from CONTROL_JSON, read again on every call, so a test
changes it by replacing the file (atomically). A missing key takes its default:

  inhibitors   [{"what", "who", "why", "mode", "uid", "pid"}]   ListInhibitors()
  users        [{"uid", "name"}]                               ListUsers()
  units        {NAME: {"active_state", "job_result", "job_delay_ms",
                       "last_trigger_usec", "next_elapse_usec"}}: the loaded
               units. StartUnit()'s job ends job_delay_ms later with JobRemoved
               and job_result ("done", "failed", "timeout", ...); with
               job_result null it never ends. Timers have the last two.
               A service with "exec" [ARGV...] runs it instead (as
               "exec_user", with the environment "exec_env"), as a
               Type=oneshot service: its job ends when the command exits,
               "done" for status 0 and "failed" otherwise; its output goes
               to the double's log.
  system_state             the Manager's SystemState
  schedule_shutdown_error  null, or {"name", "message"}: ScheduleShutdown()
                           fails so once the type is checked, where logind
                           checks polkit and inhibitors

Every ScheduleShutdown, CancelScheduledShutdown and StartUnit, refused or not, is
appended as a JSON line to calls.jsonl beside CONTROL_JSON, with the caller's
uid from the bus. Nothing is ever shut down or started and nothing asks polkit:
the tests judge the recorded calls. A scheduled shutdown stays until it is
cancelled or replaced.

The tests' side is SystemDouble, the system_double fixture in conftest.py.
"""
import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

LOGIN1 = "org.freedesktop.login1"
LOGIN1_PATH = "/org/freedesktop/login1"
LOGIN1_MANAGER = "org.freedesktop.login1.Manager"
SYSTEMD1 = "org.freedesktop.systemd1"
SYSTEMD1_PATH = "/org/freedesktop/systemd1"
SYSTEMD1_MANAGER = "org.freedesktop.systemd1.Manager"
UNIT_PREFIX = SYSTEMD1_PATH + "/unit"
UNIT = "org.freedesktop.systemd1.Unit"
TIMER = "org.freedesktop.systemd1.Timer"

INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
FAILED = "org.freedesktop.DBus.Error.Failed"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
UNKNOWN_INTERFACE = "org.freedesktop.DBus.Error.UnknownInterface"
UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty"
NO_SUCH_UNIT = "org.freedesktop.systemd1.NoSuchUnit"
ALREADY_SUBSCRIBED = "org.freedesktop.systemd1.AlreadySubscribed"

USEC_INFINITY = 2**64 - 1
WAVE_TIMER = "lpmaint-reboot-wave.timer"

DEFAULT_CONTROL = {
    "inhibitors": [],
    "users": [],
    "units": {WAVE_TIMER: {"active_state": "active", "last_trigger_usec": 0}},
    "system_state": "running",
    "schedule_shutdown_error": None,
}
INHIBITOR_DEFAULTS = {"what": "shutdown", "who": "", "why": "", "mode": "block", "uid": 0, "pid": 0}
# A timer with nothing left to elapse reports infinity as its next elapse.
UNIT_DEFAULTS = {"active_state": "inactive", "job_result": "done", "job_delay_ms": 0,
                 "last_trigger_usec": 0, "next_elapse_usec": USEC_INFINITY,
                 "exec": None, "exec_user": None, "exec_env": None}

# logind takes each of these, also with "dry-" before it (soft-reboot came after systemd 252).
SHUTDOWN_TYPES = ("poweroff", "reboot", "halt", "kexec")
# systemd 252's job modes.
JOB_MODES = ("fail", "replace", "replace-irreversibly", "isolate", "flush",
             "ignore-dependencies", "ignore-requirements", "triggering")
UNIT_TYPES = ("service", "socket", "target", "device", "mount", "automount", "swap",
              "timer", "path", "slice", "scope")
NAMES = (LOGIN1, SYSTEMD1)


def error(name, message):
    return dbus.exceptions.DBusException(message, name=name)


def bus_label_escape(s):
    """systemd's bus_label_escape(): an object path element for any string. Every
    byte but [A-Za-z0-9], and a leading digit, becomes _ and two hex digits."""
    if not s:
        return "_"
    out = []
    for i, b in enumerate(s.encode()):
        c = chr(b)
        if c.isascii() and (c.isalpha() or (c.isdigit() and i > 0)):
            out.append(c)
        else:
            out.append(f"_{b:02x}")
    return "".join(out)


def bus_label_unescape(label):
    """The string bus_label_escape() made label from, or None if it did not."""
    if label == "_":
        return ""
    out = bytearray()
    i = 0
    while i < len(label):
        c = label[i]
        if c == "_":
            digits = label[i + 1:i + 3]
            if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                return None
            out.append(int(digits, 16))
            i += 3
        elif c.isascii() and c.isalnum():
            out.append(ord(c))
            i += 1
        else:
            return None
    try:
        return out.decode()
    except UnicodeDecodeError:
        return None


def unit_path(name):
    return f"{UNIT_PREFIX}/{bus_label_escape(name)}"


def is_unit_name(name):
    prefix, dot, suffix = (name or "").rpartition(".")
    return bool(prefix) and suffix in UNIT_TYPES


BASIC_TYPES = {"s": dbus.String, "o": dbus.ObjectPath, "t": dbus.UInt64, "u": dbus.UInt32}


def typed(signature, value):
    """value with the D-Bus type of signature (a basic type or a struct of them):
    a variant carries the type of its value, so it must be exact."""
    if signature.startswith("("):
        inner = signature[1:-1]
        return dbus.Struct([BASIC_TYPES[c](v) for c, v in zip(inner, value)], signature=inner)
    return BASIC_TYPES[signature](value)


# --- The double ---------------------------------------------------------------


class Control:
    """The control file the tests write, and the calls log the double writes."""

    def __init__(self, path):
        self.path = path
        self.calls_path = os.path.join(os.path.dirname(path), "calls.jsonl")

    def read(self):
        try:
            with open(self.path) as f:
                control = json.load(f)
        except FileNotFoundError:
            control = {}
        except ValueError as e:
            raise error(FAILED, f"system double: {self.path}: {e}") from e
        return {**DEFAULT_CONTROL, **control}

    def unit(self, name):
        """A loaded unit's settings, or None."""
        unit = self.read()["units"].get(name)
        return None if unit is None else {**UNIT_DEFAULTS, **unit}

    @contextlib.contextmanager
    def recording(self, connection, sender, method, args):
        """Logs the call when it ends, with its "result" (set by the caller) or its error."""
        entry = {"time_usec": time.time_ns() // 1000, "method": method, "args": list(args),
                 "uid": int(connection.get_unix_user(sender)), "result": None, "error": None}
        try:
            yield entry
        except dbus.exceptions.DBusException as e:
            entry["error"] = e.get_dbus_name()
            raise
        finally:
            with open(self.calls_path, "a") as f:
                f.write(json.dumps(entry) + "\n")
            logging.info("%s%s from uid %d: %s", method, tuple(args), entry["uid"],
                         entry["error"] or entry["result"])


class PropertiesObject(dbus.service.Object):
    """org.freedesktop.DBus.Properties, read-only, for what a subclass's
    properties(path) returns: {interface: {name: (signature, value)}}."""

    def _interface(self, path, interface):
        properties = self.properties(path)
        if interface not in properties:
            raise error(UNKNOWN_INTERFACE, f"Unknown interface '{interface}'.")
        return properties[interface]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v", path_keyword="path")
    def Get(self, interface, name, path):
        properties = self._interface(path, interface)
        if name not in properties:
            raise error(UNKNOWN_PROPERTY, f"Unknown property '{name}'.")
        return typed(*properties[name])

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}", path_keyword="path")
    def GetAll(self, interface, path):
        if interface:
            properties = self._interface(path, interface)
        else:  # sd-bus answers an empty interface with every interface's properties
            properties = {k: v for props in self.properties(path).values() for k, v in props.items()}
        return dbus.Dictionary({k: typed(*v) for k, v in properties.items()}, signature="sv")

    @dbus.service.method(dbus.INTROSPECTABLE_IFACE, in_signature="", out_signature="s",
                         path_keyword="object_path", connection_keyword="connection")
    def Introspect(self, object_path, connection):
        # dbus-python describes methods and signals only: add the properties,
        # saying truthfully that no PropertiesChanged tells of their changes.
        node = ET.fromstring(super().Introspect(object_path, connection))
        for interface, properties in self.properties(object_path).items():
            element = node.find(f"interface[@name='{interface}']")
            if element is None:
                element = ET.SubElement(node, "interface", name=interface)
            for name, (signature, _) in properties.items():
                prop = ET.SubElement(element, "property", name=name, type=signature, access="read")
                ET.SubElement(prop, "annotation", name="org.freedesktop.DBus.Property.EmitsChangedSignal",
                              value="false")
        return ET.tostring(node, encoding="unicode")


class Login1Manager(PropertiesObject):
    def __init__(self, bus, control):
        super().__init__(bus, LOGIN1_PATH)
        self.control = control
        self.scheduled = ("", 0)  # what logind shows when nothing is scheduled

    def properties(self, path):
        return {LOGIN1_MANAGER: {"ScheduledShutdown": ("(st)", self.scheduled)}}

    @dbus.service.method(LOGIN1_MANAGER, in_signature="", out_signature="a(ssssuu)")
    def ListInhibitors(self):
        inhibitors = [{**INHIBITOR_DEFAULTS, **i} for i in self.control.read()["inhibitors"]]
        return [(i["what"], i["who"], i["why"], i["mode"], i["uid"], i["pid"]) for i in inhibitors]

    @dbus.service.method(LOGIN1_MANAGER, in_signature="", out_signature="a(uso)")
    def ListUsers(self):
        return [(u["uid"], u["name"], f"{LOGIN1_PATH}/user/_{u['uid']}") for u in self.control.read()["users"]]

    @dbus.service.method(LOGIN1_MANAGER, in_signature="st", out_signature="", sender_keyword="sender")
    def ScheduleShutdown(self, type, usec, sender):
        with self.control.recording(self.connection, sender, "ScheduleShutdown", (str(type), int(usec))):
            action = type.removeprefix("dry-")
            if action not in SHUTDOWN_TYPES:
                raise error(INVALID_ARGS, f"Unsupported shutdown type: {action}")
            failure = self.control.read()["schedule_shutdown_error"]
            if failure:
                raise error(failure["name"], failure["message"])
            # logind shows the action without "dry-". It sends no PropertiesChanged
            # for ScheduledShutdown (systemd#22244), and neither do we.
            self.scheduled = (action, usec)

    @dbus.service.method(LOGIN1_MANAGER, in_signature="", out_signature="b", sender_keyword="sender")
    def CancelScheduledShutdown(self, sender):
        with self.control.recording(self.connection, sender, "CancelScheduledShutdown", ()) as entry:
            entry["result"] = cancelled = self.scheduled[0] != ""
            self.scheduled = ("", 0)
            return cancelled


class Job:
    def __init__(self, id, unit, requester):
        self.id, self.unit = id, unit
        self.path = f"{SYSTEMD1_PATH}/job/{id}"
        self.requesters = {requester}


class Systemd1Manager(PropertiesObject):
    def __init__(self, bus, control):
        super().__init__(bus, SYSTEMD1_PATH)
        self.control = control
        self.jobs = {}  # unit name -> its queued Job
        self.last_job_id = 0
        self.subscribers = set()  # unique names of the clients that called Subscribe()
        bus.add_signal_receiver(self._name_owner_changed, "NameOwnerChanged", dbus.BUS_DAEMON_IFACE,
                                dbus.BUS_DAEMON_NAME, dbus.BUS_DAEMON_PATH)

    def properties(self, path):
        return {SYSTEMD1_MANAGER: {"SystemState": ("s", self.control.read()["system_state"])}}

    def _name_owner_changed(self, name, old_owner, new_owner):
        if not new_owner:
            self.subscribers.discard(name)

    @dbus.service.method(SYSTEMD1_MANAGER, in_signature="", out_signature="", sender_keyword="sender")
    def Subscribe(self, sender):
        if sender in self.subscribers:
            raise error(ALREADY_SUBSCRIBED, "Client is already subscribed.")
        self.subscribers.add(sender)

    @dbus.service.method(SYSTEMD1_MANAGER, in_signature="s", out_signature="o")
    def GetUnit(self, name):
        if self.control.unit(name) is None:
            raise error(NO_SUCH_UNIT, f"Unit {name} not loaded.")
        return unit_path(name)

    @dbus.service.method(SYSTEMD1_MANAGER, in_signature="ss", out_signature="o", sender_keyword="sender")
    def StartUnit(self, name, mode, sender):
        with self.control.recording(self.connection, sender, "StartUnit", (str(name), str(mode))) as entry:
            if mode not in JOB_MODES:
                raise error(INVALID_ARGS, f"Job mode {mode} invalid")
            unit = self.control.unit(name)
            if unit is None:
                raise error(NO_SUCH_UNIT, f"Unit {name} not found.")
            job = self.jobs.get(name)
            if job:  # systemd merges a second start into the job already queued
                job.requesters.add(sender)
            else:
                self.last_job_id += 1
                job = self.jobs[name] = Job(self.last_job_id, str(name), sender)
                # Later, never before this call's reply: as with systemd, a
                # client learns the job's path before it can see it end.
                if unit["exec"]:
                    self._exec(job, unit)
                elif unit["job_result"] is not None:
                    GLib.timeout_add(unit["job_delay_ms"], self._finish_job, job, unit["job_result"])
            entry["result"] = job.path
            return job.path

    def _exec(self, job, unit):
        logging.info("job %d (%s): running %s as %s", job.id, job.unit, unit["exec"], unit["exec_user"] or "root")
        process = subprocess.Popen(unit["exec"], user=unit["exec_user"], env=unit["exec_env"],
                                   stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)
        job.process = process  # kept until it is reaped

        def exited(pid, status):
            result = "done" if os.waitstatus_to_exitcode(status) == 0 else "failed"
            self._finish_job(job, result)
        GLib.child_watch_add(GLib.PRIORITY_DEFAULT, process.pid, exited)

    def _finish_job(self, job, result):
        del self.jobs[job.unit]
        logging.info("job %d (%s) removed: %s", job.id, job.unit, result)
        # systemd broadcasts job signals only while some client is subscribed
        # or one that asked for the job is still connected.
        if self.subscribers or any(self.connection.name_has_owner(r) for r in job.requesters):
            self.JobRemoved(job.id, job.path, job.unit, result)
        return GLib.SOURCE_REMOVE

    @dbus.service.signal(SYSTEMD1_MANAGER, signature="uoss")
    def JobRemoved(self, id, job, unit, result):
        pass


class Units(PropertiesObject, dbus.service.FallbackObject):
    """Every unit's object. Like systemd, which loads a unit when its path is
    asked for, it answers for any unit name: LoadState "not-found" for those
    not in the control file."""

    def __init__(self, bus, manager):
        super().__init__(bus, UNIT_PREFIX)
        self.manager = manager

    def properties(self, path):
        if path == UNIT_PREFIX:
            return {}
        name = bus_label_unescape(path[len(UNIT_PREFIX) + 1:])
        if not is_unit_name(name):
            raise error(UNKNOWN_OBJECT, f"Unknown object '{path}'.")
        unit = self.manager.control.unit(name)
        settings = unit or UNIT_DEFAULTS
        job = self.manager.jobs.get(name)
        properties = {UNIT: {
            "Id": ("s", name),
            "LoadState": ("s", "loaded" if unit else "not-found"),
            "ActiveState": ("s", settings["active_state"]),
            "Job": ("(uo)", (job.id, job.path) if job else (0, "/")),
        }}
        if name.endswith(".timer"):
            properties[TIMER] = {
                "LastTriggerUSec": ("t", settings["last_trigger_usec"]),
                "NextElapseUSecRealtime": ("t", settings["next_elapse_usec"]),
            }
        return properties


def main():
    parser = argparse.ArgumentParser(description="Own org.freedesktop.systemd1 and org.freedesktop.login1 "
                                     "on the system bus as a test double (see the module's documentation).")
    parser.add_argument("control", help="the JSON control file; calls.jsonl is written beside it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s system-double[%(process)d]: %(message)s")

    DBusGMainLoop(set_as_default=True)
    control = Control(os.path.abspath(args.control))
    # A connection per service, as they are separate peers in reality: the bus
    # applies a name's policy to every name its owner holds.
    login1_bus = dbus.SystemBus(private=True)
    systemd1_bus = dbus.SystemBus(private=True)
    Login1Manager(login1_bus, control)
    Units(systemd1_bus, Systemd1Manager(systemd1_bus, control))
    # The names last: once both are owned, every object answers. A BusName
    # releases its name when it is collected: keep them.
    try:
        names = [dbus.service.BusName(LOGIN1, login1_bus, do_not_queue=True),
                 dbus.service.BusName(SYSTEMD1, systemd1_bus, do_not_queue=True)]
    except dbus.exceptions.NameExistsException as e:
        logging.error("cannot own %s", e)
        return 1

    loop = GLib.MainLoop()
    for signo in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signo, loop.quit)
    logging.info("serving %s, control %s", " and ".join(n.get_name() for n in names), control.path)
    loop.run()
    logging.info("stopping")
    return 0


# --- The tests' side ------------------------------------------------------------


class SystemDouble:
    """The double as a child process of the tests, and its control file. As a
    context manager it starts the double, waits until it owns both names, and
    at the end stops it and waits until both names are gone."""

    TIMEOUT = 10.0

    def __init__(self, directory):
        self.directory = directory
        self.control_path = os.path.join(directory, "control.json")
        self.calls_path = os.path.join(directory, "calls.jsonl")
        self.log_path = os.path.join(directory, "system-double.log")
        self.process = None
        self.bus = None

    def __enter__(self):
        os.makedirs(self.directory, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.calls_path)
        self._write(DEFAULT_CONTROL)
        self.bus = dbus.SystemBus(private=True)
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), self.control_path],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait(lambda: all(self._owner_pid(n) == self.process.pid for n in NAMES), "to own its names")
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        # The bus drops the names when it notices the closed connections: wait
        # for that, so that the next test sees neither service.
        self._wait(lambda: not any(self.bus.name_has_owner(n) for n in NAMES), "'s names to be released",
                   check_alive=False)
        self.bus.close()
        if status != 0 and exc[0] is None:
            raise AssertionError(f"the system double exited with status {status}; see {self.log_path}")

    def _owner_pid(self, name):
        try:
            return int(self.bus.call_blocking(dbus.BUS_DAEMON_NAME, dbus.BUS_DAEMON_PATH, dbus.BUS_DAEMON_IFACE,
                                              "GetConnectionUnixProcessID", "s", (name,)))
        except dbus.exceptions.DBusException:
            return None

    def _wait(self, predicate, what, check_alive=True):
        deadline = time.monotonic() + self.TIMEOUT
        while not predicate():
            if check_alive and self.process.poll() is not None:
                raise AssertionError(f"the system double exited ({self.process.returncode}); see {self.log_path}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for the system double {what}; see {self.log_path}")
            time.sleep(0.02)

    def _write(self, control):
        tmp = self.control_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(control, f, indent=1)
        os.replace(tmp, self.control_path)

    def control(self):
        with open(self.control_path) as f:
            return json.load(f)

    def set(self, **changes):
        """Replaces these top-level keys of the control file (see the module's documentation)."""
        unknown = set(changes) - set(DEFAULT_CONTROL)
        if unknown:
            raise ValueError(f"not control keys: {sorted(unknown)}")
        self._write({**self.control(), **changes})

    def set_unit(self, name, **fields):
        """Loads the unit if needed and sets these of its fields (UNIT_DEFAULTS' keys)."""
        unknown = set(fields) - set(UNIT_DEFAULTS)
        if unknown:
            raise ValueError(f"not unit fields: {sorted(unknown)}")
        control = self.control()
        control["units"].setdefault(name, {}).update(fields)
        self._write(control)

    def calls(self, method=None):
        """The state-changing calls so far, oldest first: dicts with method, args,
        uid, result, error and time_usec."""
        try:
            with open(self.calls_path) as f:
                calls = [json.loads(line) for line in f]
        except FileNotFoundError:
            return []
        return [c for c in calls if method is None or c["method"] == method]

    def scheduled(self):
        """logind's ScheduledShutdown as a client sees it: (type, usec), ("", 0) for none."""
        kind, usec = self.bus.call_blocking(LOGIN1, LOGIN1_PATH, dbus.PROPERTIES_IFACE, "Get", "ss",
                                            (LOGIN1_MANAGER, "ScheduledShutdown"))
        return str(kind), int(usec)


if __name__ == "__main__":
    sys.exit(main())
