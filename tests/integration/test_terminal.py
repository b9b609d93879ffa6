# SPDX-License-Identifier: LGPL-2.1-or-later
"""The command line's terminal conventions: a pager, colour, legends, --quiet,
progress while a transition runs, Ctrl-C, usage errors caught before any
call, and errors that name the next step. A terminal is a pseudo-terminal
(pty) here; everything else runs through pipes, as in the other tests."""
import os
import pwd
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import (AUTO, EXIT_DENIED, EXIT_UNREACHABLE, EXIT_USAGE, OTHER, history, kill_daemon, lpmaint,
                      restart_daemon, run, wait_for, wait_state)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def as_user(user):
    """For preexec_fn: become @user without a process in between, so that a
    signal sent to the child reaches lpmaint itself."""
    pw = pwd.getpwnam(user)

    def demote():
        os.initgroups(user, pw.pw_gid)
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return demote


class Tty:
    """lpmaint with standard input, output and error on a pseudo-terminal."""

    def __init__(self, *args, user=None, env=None):
        self.master, slave = os.openpty()
        # A terminal as people have it, unless the test says otherwise.
        environ = dict(os.environ, TERM="xterm")
        for k in ("NO_COLOR", "SYSTEMD_COLORS", "SYSTEMD_PAGER", "PAGER", "LESS", "SYSTEMD_LESS"):
            environ.pop(k, None)
        environ.update(env or {})
        for k, v in list(environ.items()):
            if v is None:
                del environ[k]
        self.proc = subprocess.Popen(["lpmaint", "--no-ask-password", *args], stdin=slave, stdout=slave,
                                     stderr=slave, env=environ, preexec_fn=as_user(user) if user else None,
                                     start_new_session=True)
        os.close(slave)
        self.out = b""

    def read_until(self, predicate, timeout=20.0):
        """Reads what lpmaint writes until predicate(text) holds or it exits."""
        deadline = time.monotonic() + timeout
        while not predicate(self.text()) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            self.out += data
        return self.text()

    def finish(self, timeout=30.0):
        self.read_until(lambda _: False, timeout=timeout)
        rc = self.proc.wait(timeout=timeout)
        os.close(self.master)
        return rc, self.text()

    def text(self):
        return self.out.decode(errors="replace").replace("\r\n", "\n")


def on_tty(*args, **kw):
    return Tty(*args, **kw).finish()


def apply_on_tty(patch, *options, env=None):
    return Tty("apply", *options, patch.manifest, user=AUTO, env=env)


def disable(name):
    assert lpmaint("disable", name, user=AUTO).returncode == 0


# --- A pager ----------------------------------------------------------------

def test_long_output_goes_through_the_pager_on_a_terminal():
    rc, out = on_tty("status", env={"PAGER": "sed s/^/PAGED:/"})
    lines = [line for line in out.splitlines() if line]
    assert rc == 0 and lines and all(line.startswith("PAGED:") for line in lines), out


def test_systemd_pager_comes_first_and_less_gets_systemds_options():
    rc, out = on_tty("status", env={"SYSTEMD_PAGER": "sh -c 'echo LESS=$LESS; cat'", "PAGER": "false"})
    assert rc == 0 and out.startswith("LESS=FRSXMK\n"), out


@pytest.mark.parametrize("how", ["--no-pager", "pipe", "--json", "SYSTEMD_PAGER=cat"])
def test_no_pager(how):
    env = {"PAGER": "sed s/^/PAGED:/"}
    if how == "pipe":
        p = subprocess.run(["lpmaint", "status"], capture_output=True, text=True, env=dict(os.environ, **{
            "PAGER": "sed s/^/PAGED:/"}))
        rc, out = p.returncode, p.stdout
    elif how == "SYSTEMD_PAGER=cat":
        rc, out = on_tty("status", env=dict(env, SYSTEMD_PAGER="cat"))
    else:
        rc, out = on_tty(how, "status", env=env)
    assert rc == 0 and out.strip() and "PAGED:" not in out, out


def test_no_pager_is_taken_by_every_command():
    assert lpmaint("--no-pager", "reboot", "cancel").returncode != EXIT_USAGE
    assert lpmaint("--no-pager", "audit", "verify", "/nonexistent").returncode != EXIT_USAGE


# --- Colour -----------------------------------------------------------------

def test_colour_for_verdicts_on_a_terminal_only():
    rc, out = on_tty("--no-pager", "reboot", "plan")
    assert rc == 0 and "\x1b[0;31mno\x1b[0m" in out and "Verdict: \x1b[" in out, repr(out)
    # Without the escape sequences, the text of a pipe: columns line up by the text.
    assert ANSI.sub("", out) == lpmaint("reboot", "plan").stdout

    for env in ({"NO_COLOR": "1"}, {"SYSTEMD_COLORS": "0"}, {"TERM": "dumb"}):
        rc, out = on_tty("--no-pager", "reboot", "plan", env=env)
        assert rc == 0 and "\x1b[" not in out and "Verdict:" in out, (env, repr(out))
    p = lpmaint("reboot", "plan")
    assert p.returncode == 0 and "\x1b[" not in p.stdout


# --- Legends and --quiet ----------------------------------------------------

def test_no_legend_drops_the_column_headers():
    assert "GATE" in lpmaint("reboot", "plan").stdout
    p = lpmaint("--no-legend", "reboot", "plan")
    assert p.returncode == 0 and "GATE" not in p.stdout and "Verdict:" in p.stdout, p.stdout
    lpmaint("disable", "lp_no_such_patch", user=AUTO)  # a record, refused
    p = lpmaint("--no-legend", "history")
    assert p.returncode == 0 and p.stdout.strip() and "ACTION" not in p.stdout, p.stdout


@pytest.mark.parametrize("args,text", [
    (("--no-legend", "apply", "x.manifest"), "--no-legend"),
    (("--no-legend", "reboot", "cancel"), "--no-legend only applies"),
    (("--quiet", "status"), "--quiet"),
    (("-q", "reboot", "plan"), "--quiet only applies"),
])
def test_options_a_command_does_not_take(args, text):
    p = lpmaint(*args)
    assert p.returncode == EXIT_USAGE and text in p.stderr, p.stderr


def test_quiet_apply_and_disable_print_nothing(make_patch):
    a = make_patch()
    p = lpmaint("--quiet", "apply", a.manifest, user=AUTO)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", (p.stdout, p.stderr)
    p = lpmaint("-q", "disable", a.name, user=AUTO)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", (p.stdout, p.stderr)
    # Errors are still said.
    p = lpmaint("-q", "disable", a.name, user=AUTO)
    assert p.returncode != 0 and p.stdout == "" and p.stderr, p.stderr


# --- Waiting on a transition ------------------------------------------------

def test_waiting_shows_the_elapsed_time(make_patch, transition_ms):
    transition_ms(2500)
    a = make_patch()
    rc, out = apply_on_tty(a).finish()
    assert rc == 0, out
    # Rewritten in place each second (2.5 s leave room for one on a busy machine).
    assert "\rTransition in progress... 1s" in out, repr(out)
    assert ANSI.sub("", out).rstrip().endswith("Applied."), repr(out)
    disable(a.name)


def test_ctrl_c_says_lpmaintd_carries_on(make_patch, transition_ms):
    transition_ms(2500)
    a = make_patch()
    t = apply_on_tty(a)
    t.read_until(lambda text: "Transition in progress" in text)
    t.proc.send_signal(signal.SIGINT)
    rc, out = t.finish()
    assert rc == -signal.SIGINT, (rc, out)
    assert f"lpmaintd carries on with the apply of {a.name}" in out and "lpmaint list" in out, out
    # It did carry on.
    wait_state(a.name, {"applied"})
    disable(a.name)


def test_apply_says_when_the_soak_ends(make_patch, dropin):
    dropin("[Daemon]\nRing=canary\n\n[Ring canary]\nSoakSec=7200\n")
    wait_for(lambda: lpmaint("--json", "ring").stdout.find('"canary"') >= 0, what="ring configured")
    a = make_patch()
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    m = re.search(r"^Soaking until (\S+) \((1h 59min|2h) from now\)", p.stdout, re.M)
    assert m, p.stdout
    disable(a.name)


# --- Usage errors are caught before any call, with exit status 2 ------------

@pytest.mark.parametrize("args,text", [
    (("history", "--result=bogus"), "Unknown --result= value 'bogus'"),
    (("history", "--patch=Bad Name!"), "Invalid --patch= value"),
    (("disable", "Bad Name!"), "Invalid patch name 'Bad Name!'"),
    (("acknowledge", "UPPER"), "Invalid patch name 'UPPER'"),
    (("reboot", "schedule", "2020-01-01 10:00"), "not between now and a year from now"),
    (("reboot", "schedule", "+99999999"), "not between now and a year from now"),
    (("reboot", "schedule", "yesterday"), "Invalid time"),
    (("reboot", "request", "--reason=tab\there"), "Invalid --reason="),
    (("reboot", "request", "--reason=" + "x" * 513), "Invalid --reason="),
])
def test_bad_values_are_usage_errors(args, text):
    before = len(history())
    p = lpmaint(*args, user=AUTO)
    assert p.returncode == EXIT_USAGE and text in p.stderr and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    # Nothing reached lpmaintd: nothing to audit.
    assert len(history()) == before


def test_result_help_lists_what_history_can_match():
    p = lpmaint("history", "--result=help")
    values = p.stdout.split()
    assert p.returncode == 0 and {"accepted", "denied", "refused", "success", "transition-timeout"} <= set(values)
    # Every listed value is taken.
    for v in values:
        assert lpmaint("history", f"--result={v}").returncode == 0, v


# --- Errors with the next step ----------------------------------------------

def test_root_refused_apply_points_at_break_glass(make_patch):
    a = make_patch()
    p = lpmaint("apply", a.manifest)
    assert p.returncode == EXIT_DENIED, p.stderr
    assert f"lpmaint apply --break-glass {a.manifest}" in p.stderr, p.stderr
    # Asked for already: no hint.
    p = lpmaint("apply", "--break-glass", a.manifest, user=OTHER)
    assert p.returncode == EXIT_DENIED and "in an emergency" not in p.stderr, p.stderr


@pytest.fixture
def daemon_back():
    yield
    if run("busctl", "status", "org.lpmaint1").returncode != 0:
        restart_daemon()


@pytest.mark.lpmaintd_stopped
def test_lpmaintd_not_running_says_where_to_look(daemon_back):
    kill_daemon(signal.SIGTERM)
    for args in (("status",), ("list",), ("reboot", "status")):
        p = lpmaint(*args)
        assert p.returncode == EXIT_UNREACHABLE, p.stderr
        assert "See 'systemctl status lpmaintd'." in p.stderr, p.stderr


def test_unreachable_host_in_words(workdir):
    # An ssh that fails as one does for a host that is down.
    bindir = os.path.join(workdir, "bin")
    os.mkdir(bindir)
    with open(os.path.join(bindir, "ssh"), "w") as f:
        f.write("#!/bin/sh\necho 'ssh: connect to host 127.0.0.1 port 22: Connection refused' >&2\nexit 255\n")
    os.chmod(os.path.join(bindir, "ssh"), 0o755)
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"])
    p = subprocess.run(["lpmaint", "--no-ask-password", "-H", "127.0.0.1", "status"], capture_output=True,
                       text=True, env=env, timeout=60)
    assert p.returncode == EXIT_UNREACHABLE, p.stderr
    assert "127.0.0.1 could not be reached over SSH" in p.stderr and "'ssh 127.0.0.1'" in p.stderr, p.stderr


# --- The sandbox ------------------------------------------------------------

@pytest.mark.parametrize("page,section,says", [
    ("lpmaint", "1", "verify, apply and manage signed kernel live patches"),
    ("lpmaint-sign", "1", "write and sign the manifest"),
    ("lpmaint.conf", "5", "lpmaint.conf"),
    ("org.lpmaint1", "5", "org.lpmaint1.Manager"),
])
def test_man_shows_the_pages_of_the_tree(page, section, says):
    # The page of the tree (or of the build directory), not an installed one.
    mine = {os.path.realpath(os.path.join(os.environ[d], "man", f"{page}.{section}"))
            for d in ("LPMAINT_REPO", "LPMAINT_BUILD_DIR")}
    where = run("man", "-w", section, page)
    assert where.returncode == 0 and where.stdout.strip() in mine, (where.stdout, where.stderr, mine)
    p = run("man", section, page, env=dict(os.environ, MANWIDTH="100", MANPAGER="cat", PAGER="cat"))
    assert p.returncode == 0 and says in " ".join(p.stdout.split()), (p.stdout[:500], p.stderr)
