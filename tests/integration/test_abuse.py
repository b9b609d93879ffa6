# SPDX-License-Identifier: LGPL-2.1-or-later
"""Abuse of the bus surface: huge and strange strings, unknown and mistyped
options, callers that hang up before the reply. Each call that can still be
answered gets a named error; lpmaintd stays up, answers, and does not leak."""
import os
import re

import pytest

from conftest import AUTO, OTHER, history, lpmaint_json, patches, run
from daemon_health import assert_answers, stop_and_check_for_leaks, tool

DEST = ("org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager")
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
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
