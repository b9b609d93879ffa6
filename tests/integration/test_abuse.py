# SPDX-License-Identifier: LGPL-2.1-or-later
"""Abuse of the bus surface: huge and strange strings, unknown and mistyped
options, callers that hang up before the reply. Each call that can still be
answered gets a named error; lpmaintd stays up, answers, and does not leak."""
import contextlib
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import AUTO, OTHER, SANDBOX, daemon_pid, history, lpmaint, lpmaint_json, patches, run, wait_for, wait_state
from daemon_health import assert_answers, stop_and_check_for_leaks, tool

DEST = ("org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager")
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded"
PENDING_PER_UID = 4     # POLKIT_PENDING_PER_UID in service/daemon/polkit.h
# What lpmaintd may have open for a moment besides (an audit record and its
# directory being synced, a state file): a constant, not per call.
TRANSIENT_FDS = 4
MIB = 1024 * 1024


def busctl_call(method, sig, *args, user=None):
    return run("busctl", "--system", "call", *DEST, method, sig, *args, user=user)


def abuse(*args, user=None):
    p = run(tool("bus-abuse"), *args, user=user)
    assert p.returncode == 0, (p.stdout, p.stderr)
    return p.stdout.strip()


@pytest.fixture
def small_file(workdir):
    path = os.path.join(workdir, "small")
    with open(path, "w") as f:
        f.write("not a manifest\n")
    os.chmod(path, 0o644)
    return path


@pytest.mark.parametrize("user", [AUTO, OTHER])
def test_huge_disable_name(user):
    out = abuse("huge-disable", str(MIB), user=user)
    assert out.startswith(INVALID_ARGS + ":"), out
    assert_answers()


def test_huge_history_filter():
    # A filter value is matched, not used as a name: a MiB of it matches nothing.
    out = abuse("huge-history", str(MIB), user=OTHER)
    assert out == "OK", out
    p = busctl_call("GetHistory", "a{sv}", "1", "patch", "s", "a" * 100000, user=OTHER)
    assert p.returncode == 0 and p.stdout.strip() == "a(tuussssss) 0", (p.stdout, p.stderr)
    assert_answers()


@pytest.mark.parametrize("name", ["a/b", "/", "../../etc/passwd", "lp\x01ctl", "lp\x1b[2J", "lp_a\n", "\x7f", "",
                                  "lp a", "lp_ä"])
@pytest.mark.parametrize("user", [AUTO, OTHER])
def test_bad_names_are_invalid_args(name, user):
    before = len(history())
    p = busctl_call("Disable", "sa{sv}", name, "0", user=user)
    assert p.returncode != 0
    assert "Invalid patch name" in p.stderr, p.stderr
    # Refused before anything happened, so nothing to audit.
    assert len(history()) == before


@pytest.mark.parametrize("args", [
    ("Disable", "sa{sv}", "lp_a", "1", "force", "b", "true"),
    ("Disable", "sa{sv}", "lp_a", "2", "force", "b", "true", "", "s", ""),
    ("GetHistory", "a{sv}", "1", "frobnicate", "u", "1"),
    ("GetHistory", "a{sv}", "1", "", "s", ""),
])
def test_unknown_option_keys(args):
    p = busctl_call(*args, user=OTHER)
    assert p.returncode != 0
    assert "Unknown" in p.stderr, p.stderr
    assert_answers()


def test_unknown_apply_option(small_file):
    for user in (AUTO, OTHER):
        out = abuse("apply-option", small_file, "force", user=user)
        assert out.startswith(INVALID_ARGS + ": Unknown option"), out


@pytest.mark.parametrize("args", [
    ("GetHistory", "a{sv}", "1", "limit", "s", "5"),
    ("GetHistory", "a{sv}", "1", "since", "i", "7"),
    ("GetHistory", "a{sv}", "1", "uid", "t", "0"),
    ("GetHistory", "a{sv}", "1", "patch", "as", "1", "lp_a"),
    ("GetHistory", "a{sv}", "1", "result", "v", "s", "denied"),
    ("GetHistory", "a{ss}", "1", "limit", "5"),
    ("Disable", "sa{ss}", "lp_a", "0"),
    ("Disable", "ss", "lp_a", "x"),
    ("Apply", "a{sv}", "0"),
    ("Apply", "sss", "a", "b", "c"),
])
def test_wrong_types(args):
    # busctl prints the message, not the name: these are the messages of
    # InvalidArgs from sd-bus's signature check and from the filter reader.
    p = busctl_call(*args, user=OTHER)
    assert p.returncode != 0
    assert "Invalid arguments" in p.stderr or re.search(r'Filter "\w+" takes type', p.stderr), p.stderr
    assert_answers()


def test_callers_that_hang_up_before_the_reply(small_file):
    patches_before = patches()
    records_before = len(lpmaint_json("history"))
    rounds = 20
    # Authorized to ask (polkit may be consulted while the caller is already
    # gone) and not (refused at once); Apply with fds that go with the caller.
    assert abuse("disconnect-apply", small_file, str(rounds), user=AUTO) == f"sent {rounds}"
    assert abuse("disconnect-apply", small_file, str(rounds), user=OTHER) == f"sent {rounds}"
    assert abuse("disconnect-disable", "lp_hangup", str(rounds), user=AUTO) == f"sent {rounds}"
    assert abuse("disconnect-disable", "lp_hangup", str(rounds), user=OTHER) == f"sent {rounds}"

    # The next caller gets its answer, and nothing changed.
    out = abuse("huge-disable", "10", user=OTHER)
    assert out.startswith(("org.freedesktop.DBus.Error.AccessDenied:",
                           "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired:")), out
    assert_answers()
    assert patches() == patches_before
    # Every one of those calls is in the audit trail, the ones whose caller the
    # bus could no longer name (uid 4294967295) too; plus the huge-disable above.
    records = lpmaint_json("history")[records_before:]
    assert len(records) == 4 * rounds + 1, len(records)
    assert all(r["result"] in ("denied", "refused") for r in records)
    stop_and_check_for_leaks()


def fd_count():
    return len(os.listdir(f"/proc/{daemon_pid()}/fd"))


def settled_fd_count():
    """After one audited call: the first record opens the journal's socket for good."""
    out = abuse("huge-disable", "10", user=OTHER)
    assert out.startswith(("org.freedesktop.DBus.Error.AccessDenied:",
                           "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired:")), out
    return fd_count()


def fd_targets():
    d = f"/proc/{daemon_pid()}/fd"
    targets = []
    for f in os.listdir(d):
        try:
            targets.append(os.readlink(os.path.join(d, f)))
        except FileNotFoundError:   # closed meanwhile
            pass
    return sorted(targets)


def polkitd_pid():
    p = run("busctl", "--system", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "GetConnectionUnixProcessID", "s", "org.freedesktop.PolicyKit1", check=True)
    return int(p.stdout.split()[1])


def apply_and_disable(a):
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 0, (p.stdout, p.stderr)
    wait_state(a.name, ("applied",))
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_state(a.name, ("disabled",))


def test_hung_up_applies_do_not_keep_their_fds(make_patch, small_file):
    """An ordinary user's break-glass applies reach polkit (the group check does
    not apply to break-glass); hanging up while polkit is asked once left the
    three passed fds in lpmaintd for good, 1,200 calls were enough to run it
    out of descriptors."""
    before = settled_fd_count()
    for _ in range(4):
        # Round i hangs up i % 6 ms after sending: some before lpmaintd looks,
        # some while polkit is asked, some after the answer.
        assert abuse("disconnect-apply", small_file, "300", "break-glass", "5", user=OTHER) == "sent 300"
        # Calls not handled yet hold their fds for a moment (sd-bus reads ahead
        # while lpmaintd asks the bus who called); handled, none is left.
        wait_for(lambda: fd_count() <= before, what=f"lpmaintd back to {before} fds")
    apply_and_disable(make_patch())
    assert_answers()


def test_a_flood_of_calls_is_not_read_ahead(small_file):
    """Calls that arrive faster than lpmaintd answers wait in the bus, not in
    lpmaintd: asking the bus who called, or logind for PlanReboot (open to
    all), once read every call that had arrived meanwhile, with its fds, into
    lpmaintd (thousands of fds from 8 clients)."""
    before = settled_fd_count()
    clients = [subprocess.Popen(("runuser", "-u", OTHER, "--", tool("bus-abuse"), "disconnect-apply", small_file,
                                 "400", "break-glass", "2"), stdout=subprocess.PIPE, text=True) for _ in range(8)]
    planner = subprocess.Popen(("runuser", "-u", OTHER, "--", "bash", "-c",
                                "while :; do busctl --system call org.lpmaint1 /org/lpmaint1 org.lpmaint1.Manager "
                                "PlanReboot >/dev/null 2>&1; done"), start_new_session=True)
    peak = before
    try:
        while any(c.poll() is None for c in clients):
            peak = max(peak, fd_count())
            time.sleep(0.01)
    finally:
        os.killpg(planner.pid, signal.SIGKILL)     # runuser, bash and busctl
        planner.wait()
    for c in clients:
        assert c.communicate()[0].strip() == "sent 400"
    # The call being handled, those of the uid waiting for polkit, and a few more a read may bring.
    assert peak <= before + 3 * (PENDING_PER_UID + 4) + TRANSIENT_FDS, peak
    wait_for(lambda: fd_count() <= before, what=f"lpmaintd back to {before} fds")
    assert_answers()


def test_calls_waiting_for_polkit_are_bounded_per_uid(make_patch, small_file):
    """While polkit does not answer, one uid holds at most a few calls (and
    their fds); more are LimitsExceeded at once, and another uid is not held up."""
    before = settled_fd_count()
    a = make_patch()
    n = PENDING_PER_UID + 8
    polkitd = polkitd_pid()
    os.kill(polkitd, signal.SIGSTOP)
    try:
        held = subprocess.Popen(("runuser", "-u", OTHER, "--", tool("bus-abuse"), "hold-apply", small_file, str(n),
                                 "break-glass"), stdout=subprocess.PIPE, text=True)
        early = [held.stdout.readline().strip() for _ in range(n - PENDING_PER_UID)]
        assert all(line.startswith(LIMITS_EXCEEDED + ":") for line in early), early
        assert fd_count() <= before + 3 * PENDING_PER_UID + TRANSIENT_FDS, fd_targets()
        auto = subprocess.Popen(("runuser", "-u", AUTO, "--", "lpmaint", "--no-ask-password", "apply", a.manifest),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: fd_count() >= before + 3 * PENDING_PER_UID + 3, what="the automation user's apply waiting")
    finally:
        os.kill(polkitd, signal.SIGCONT)
    rest = held.communicate(timeout=60)[0].split("\n")
    assert held.returncode == 0
    assert rest[-2:] == ["done", ""], rest
    # Those that waited got polkit's answer: no administrator authenticated.
    assert len(rest) == PENDING_PER_UID + 2 and not any(LIMITS_EXCEEDED in line for line in rest), rest
    out, err = auto.communicate(timeout=60)
    assert auto.returncode == 0, (out, err)
    wait_state(a.name, ("applied",))
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_state(a.name, ("disabled",))
    refusals = [r for r in history(result="refused") if r["message"].startswith(LIMITS_EXCEEDED)]
    assert len(refusals) >= n - PENDING_PER_UID, refusals[-3:]
    wait_for(lambda: fd_count() <= before, what=f"lpmaintd back to {before} fds")


@contextlib.contextmanager
def extra_users(uids):
    """/etc/passwd with users for UIDS, bind-mounted in the sandbox's mount
    namespace only (the bus daemon looks its clients up; the host is untouched)."""
    path = os.path.join(SANDBOX, "passwd")
    with open("/etc/passwd") as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text + "".join(f"lpmaint-t{uid}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n" for uid in uids))
    os.chmod(path, 0o644)
    subprocess.run(("mount", "--bind", path, "/etc/passwd"), check=True)
    try:
        yield
    finally:
        subprocess.run(("umount", "/etc/passwd"), check=True)
        os.unlink(path)


def test_calls_waiting_for_polkit_are_bounded_in_all(small_file):
    """Many uids together hold at most POLKIT_PENDING_MAX calls; the next is LimitsExceeded."""
    pending_max = 64        # POLKIT_PENDING_MAX in service/daemon/polkit.h
    n = pending_max // PENDING_PER_UID
    with extra_users([61000 + i for i in range(n + 1)]):
        many_uids_waiting(small_file, pending_max, n)


def many_uids_waiting(small_file, pending_max, n):
    before = settled_fd_count()

    def as_uid(uid, *args):
        return ("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", tool("bus-abuse"), *args)

    polkitd = polkitd_pid()
    os.kill(polkitd, signal.SIGSTOP)
    holders = []
    try:
        for i in range(n):
            holders.append(subprocess.Popen(as_uid(61000 + i, "hold-apply", small_file, str(PENDING_PER_UID),
                                                   "break-glass"), stdout=subprocess.PIPE, text=True))
        wait_for(lambda: fd_count() >= before + 3 * pending_max, what="all calls waiting")
        p = run(*as_uid(61000 + n, "apply-option", small_file, "break-glass"))
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith(LIMITS_EXCEEDED + f": {pending_max} calls are waiting"), p.stdout
        assert fd_count() <= before + 3 * pending_max + TRANSIENT_FDS, fd_targets()
    finally:
        os.kill(polkitd, signal.SIGCONT)
    for h in holders:
        lines = h.communicate(timeout=60)[0].split("\n")
        assert h.returncode == 0 and lines[-2:] == ["done", ""], lines
        assert not any(LIMITS_EXCEEDED in line for line in lines), lines
    wait_for(lambda: fd_count() <= before, what=f"lpmaintd back to {before} fds")
    assert_answers()
    stop_and_check_for_leaks()


def test_stopping_with_calls_waiting_for_polkit(small_file):
    """lpmaintd stopped while calls wait for polkit lets go of them cleanly (no leak)."""
    polkitd = polkitd_pid()
    before = settled_fd_count()
    os.kill(polkitd, signal.SIGSTOP)
    try:
        held = subprocess.Popen(("runuser", "-u", OTHER, "--", tool("bus-abuse"), "hold-apply", small_file,
                                 str(PENDING_PER_UID), "break-glass"), stdout=subprocess.PIPE, text=True)
        wait_for(lambda: fd_count() >= before + 3 * PENDING_PER_UID, what="the calls waiting")
        stop_and_check_for_leaks()
    finally:
        os.kill(polkitd, signal.SIGCONT)
    lines = held.communicate(timeout=60)[0].split("\n")
    assert held.returncode == 0 and lines[-2:] == ["done", ""], lines
    assert_answers()
