# SPDX-License-Identifier: LGPL-2.1-or-later
"""lpmaint audit verify: the live audit log is intact, and copies of it with a
record edited, deleted, moved or torn each fail at the right line. lpmaintd
repairs a torn log at start, refuses a log that is not a regular file, and on
a full disk refuses changes it cannot audit and leaves no partial record."""
import errno
import hashlib
import json
import os
import re
import shutil
import signal

import pytest

from conftest import (AUTO, EXIT_DENIED, OTHER, SANDBOX, history, kernel_view, kill_daemon, lpmaint, lpmaint_json,
                      patches, restart_daemon, run, unique, wait_for, wait_state)

STATE = os.environ.get("LPMAINT_STATE_DIR", "")
LOG = os.path.join(STATE, "audit.log")
DAEMON_LOG = os.environ.get("LPMAINT_DAEMON_LOG", os.path.join(SANDBOX, "lpmaintd.log"))


def verify(path, *options):
    return run("lpmaint", *options, "audit", "verify", path)


def verify_json(path):
    p = verify(path, "--json")
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


@pytest.fixture
def log_copy(workdir):
    """A private copy of the live log with at least six records, taken between
    two writes. The live log is never edited."""
    # Records of our own: a denial and a refusal, three times over.
    for _ in range(3):
        assert lpmaint("disable", unique("lp_gone"), user=OTHER).returncode != 0
        assert lpmaint("disable", unique("lp_gone"), user=AUTO).returncode != 0
    copy = os.path.join(workdir, "audit.log")

    def copied():
        # A write may land while copying (a transition of an earlier test
        # finishing): take it again until the copy ends on a record boundary.
        shutil.copyfile(LOG, copy)
        with open(copy, "rb") as f:
            data = f.read()
        return data.endswith(b"\n") and data.count(b"\n") >= 6
    wait_for(copied, timeout=10, what="a copy of the audit log ending on a record")
    return copy


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def write_lines(path, lines, newline_at_end=True):
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + (b"\n" if newline_at_end else b""))


def test_live_log_is_intact(log_copy):
    p = verify(LOG)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert re.fullmatch(r"OK: \d+ records?, chain intact\.\n", p.stdout), p.stdout

    n = len(lines_of(log_copy))
    p = verify(log_copy)
    assert p.returncode == 0, p.stdout
    assert p.stdout == f"OK: {n} record{'' if n == 1 else 's'}, chain intact.\n"
    # One record is one record.
    one = log_copy + ".one"
    write_lines(one, lines_of(log_copy)[:1])
    p = verify(one)
    assert p.returncode == 0 and p.stdout == "OK: 1 record, chain intact.\n", p.stdout
    rc, j = verify_json(log_copy)
    assert rc == 0
    assert j == {"file": log_copy, "records": n, "ok": True, "first_bad_line": None, "reason": None}


def edit_field(lines):
    # The caller's uid of the second record, so the third no longer chains.
    # (Modulo 2^32: a uid field stays a uid, so the line still parses.)
    lines[1] = re.sub(rb"^\((\d+), (\d+),", lambda m: b"(%s, %d," % (m.group(1), (int(m.group(2)) + 1) % 2**32), lines[1])
    return lines, 3, "chain-broken"


def delete_line(lines):
    del lines[2]
    return lines, 3, "chain-broken"


def swap_lines(lines):
    lines[2], lines[3] = lines[3], lines[2]
    return lines, 3, "chain-broken"


def reorder_all(lines):
    # Every record still chains to its own predecessor: moving the first one
    # to the end breaks at the new first line.
    return lines[1:] + lines[:1], 1, "chain-broken"


@pytest.mark.parametrize("tamper", [edit_field, delete_line, swap_lines, reorder_all])
def test_tampered_copy_names_the_first_bad_record(log_copy, tamper):
    original = lines_of(log_copy)
    lines, bad, reason = tamper(list(original))
    assert lines != original
    write_lines(log_copy, lines)

    rc, j = verify_json(log_copy)
    assert rc == 1
    assert j == {"file": log_copy, "records": len(lines), "ok": False, "first_bad_line": bad, "reason": reason}

    p = verify(log_copy)
    assert p.returncode == 1
    # The line, the record's time (it still parses) and why.
    assert p.stdout.startswith(f"FAILED: {log_copy}, line {bad} of {len(lines)} (record of "), p.stdout
    assert "chain broken" in p.stdout


def test_torn_last_line(log_copy):
    lines = lines_of(log_copy)
    lines[-1] = lines[-1][:len(lines[-1]) // 2]
    write_lines(log_copy, lines, newline_at_end=False)

    rc, j = verify_json(log_copy)
    assert rc == 1
    assert (j["first_bad_line"], j["reason"], j["records"]) == (len(lines), "torn-last-line", len(lines))
    p = verify(log_copy)
    assert f"line {len(lines)} of {len(lines)}: torn last line" in p.stdout, p.stdout


def test_unparsable_record(log_copy):
    lines = lines_of(log_copy)
    lines[3] = b"(" + lines[3]
    write_lines(log_copy, lines)
    rc, j = verify_json(log_copy)
    assert rc == 1
    assert (j["first_bad_line"], j["reason"]) == (4, "unparsable")


def test_unreadable_file_and_usage(workdir):
    p = verify(os.path.join(workdir, "missing.log"))
    assert p.returncode == 1
    assert "missing.log" in p.stderr
    assert run("lpmaint", "audit", "check").returncode == 2
    assert run("lpmaint", "-H", "somehost", "audit", "verify", LOG).returncode == 2
    # Reading the log needs root: an ordinary user is told why, with no verdict.
    p = run("lpmaint", "audit", "verify", LOG, user=OTHER)
    assert p.returncode == 1
    assert "ermission denied" in p.stderr and not p.stdout


def daemon_log_size():
    return os.path.getsize(DAEMON_LOG)


def daemon_log_since(offset):
    with open(DAEMON_LOG, errors="replace") as f:
        f.seek(offset)
        return f.read()


@pytest.fixture
def stopped():
    """lpmaintd stopped for the test, and running again after it."""
    kill_daemon(signal.SIGTERM)
    yield
    p = run(os.path.join(SANDBOX, "lpmaintd-start"))
    assert p.returncode == 0 or "already running" in p.stderr, p.stderr


def test_torn_log_is_repaired_at_start(stopped):
    # A crash (or a full disk, before this was fixed) in the middle of a write.
    torn = b"(uint64 1767225600000000, uint32 0, uint32 0, 'lpm"
    with open(LOG, "ab") as f:
        f.write(torn)
    assert verify(LOG).returncode == 1

    restart_daemon()
    p = verify(LOG)
    assert p.returncode == 0, p.stdout
    repairs = [r for r in history() if r["action"] == "audit-repair"]
    assert repairs, "no audit-repair record"
    r = repairs[-1]
    assert (r["uid"], r["unit"], r["result"]) == (0, "lpmaintd", "repaired")
    assert r["sha256"] == hashlib.sha256(torn).hexdigest()
    assert f"cut {len(torn)} bytes" in r["message"] and r["sha256"] in r["message"]

    # Everything after it chains: a refusal is recorded and the log verifies.
    assert lpmaint("disable", unique("lp_gone"), user=AUTO).returncode != 0
    assert verify(LOG).returncode == 0


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_log_that_is_not_a_regular_file_is_refused_at_start(stopped, workdir, kind):
    aside = os.path.join(workdir, "audit.log.real")
    shutil.move(LOG, aside)
    try:
        if kind == "fifo":
            os.mkfifo(LOG, 0o600)
        else:
            os.symlink(aside, LOG)
        offset = daemon_log_size()
        # Neither blocked on nor followed: lpmaintd exits at once, saying why.
        p = run(os.path.join(SANDBOX, "lpmaintd-start"), timeout=30,
                env=dict(os.environ, LPMAINT_SANDBOX_START_TIMEOUT="20"))
        assert p.returncode != 0
        assert "is not a regular file" in daemon_log_since(offset)
        assert "exited with status" in p.stderr, p.stderr
    finally:
        os.unlink(LOG)
        shutil.move(aside, LOG)
    restart_daemon()
    assert verify(LOG).returncode == 0


def tree_size(path):
    total = 0
    for root, dirs, files in os.walk(path):
        for f in files:
            st = os.lstat(os.path.join(root, f))
            total += st.st_blocks * 512 + 4096
        total += 4096 * len(dirs)
    return total


@pytest.fixture
def full_disk(workdir):
    """The state directory moved onto a small tmpfs (lpmaintd restarted on it),
    with .fill(), which takes all its space, and .free(). Afterwards the state
    goes back to the disk, records included."""
    kill_daemon(signal.SIGTERM)
    before = os.path.join(workdir, "state-before")
    shutil.copytree(STATE, before, symlinks=True)
    size = tree_size(STATE) + 4 * 1024 * 1024
    run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "lpmaint-full", STATE, check=True)
    run("cp", "-a", before + "/.", STATE, check=True)
    restart_daemon()
    fill_path = os.path.join(STATE, "fill")

    class Disk:
        @staticmethod
        def fill():
            fd = os.open(fill_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                for piece in (65536, 512, 1):  # down to the last byte
                    while True:
                        try:
                            os.write(fd, b"\0" * piece)
                        except OSError as e:
                            assert e.errno == errno.ENOSPC
                            break
            finally:
                os.close(fd)

        @staticmethod
        def free():
            os.unlink(fill_path)

    try:
        yield Disk
    finally:
        kill_daemon(signal.SIGTERM)
        after = os.path.join(workdir, "state-after")
        if os.path.exists(fill_path):
            os.unlink(fill_path)
        shutil.copytree(STATE, after, symlinks=True)
        run("umount", STATE, check=True)
        for name in os.listdir(STATE):
            path = os.path.join(STATE, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        run("cp", "-a", after + "/.", STATE, check=True)
        restart_daemon()


def test_full_disk_refuses_changes_and_keeps_the_chain(full_disk, make_patch):
    # A long name: the disable's accepted record (below) is longer than the
    # denials that fill the log's last page, so it cannot fit where they did not.
    a = make_patch(name=unique("lp_full_disk_with_a_long_name_for_its_record"))
    b = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    wait_state(a.name, ("applied",))

    offset = daemon_log_size()
    full_disk.fill()
    # The log's last page may still have room: denials (audited if they
    # can be, denied anyway) until an append fails and the log stops growing.
    # They name a patch of one character: some 220 bytes each, 30 fewer than
    # the accepted record of a's disable.
    for _ in range(200):
        size = os.path.getsize(LOG)
        p = lpmaint("disable", "x", user=OTHER)
        assert p.returncode == EXIT_DENIED, (p.returncode, p.stderr)
        if os.path.getsize(LOG) == size:
            break
    else:
        pytest.fail("the audit log kept growing on a full disk")
    # The denial the file could not take is named in lpmaintd's log (the journal has it).
    assert re.search(r"Denial not in the audit log: disable x by uid \d+ .*No space left on device",
                     daemon_log_since(offset)), daemon_log_since(offset)[-2000:]
    log_before = open(LOG, "rb").read()

    # Disable: its accepted record cannot be written, so nothing happens.
    p = lpmaint("disable", a.name, user=AUTO)
    assert p.returncode != 0
    assert "org.lpmaint1.Error.AuditFailed" in p.stderr, p.stderr
    assert patches()[a.name]["state"] == "applied"
    assert kernel_view(a.name)["enabled"]

    # Apply: the patch cannot even be staged in the store, which is refused
    # earlier, as StorageFailed; either way nothing reaches the kernel.
    p = lpmaint("apply", b.manifest, user=AUTO)
    assert p.returncode != 0
    assert "org.lpmaint1.Error.StorageFailed" in p.stderr or "org.lpmaint1.Error.AuditFailed" in p.stderr, p.stderr
    assert b.name not in patches()
    assert kernel_view(b.name) == {"module_loaded": False, "present": False, "enabled": False, "transition": False}

    # Not a byte of the failed records stayed: the log is what it was.
    assert open(LOG, "rb").read() == log_before
    assert verify(LOG).returncode == 0

    # Space again: everything works and is recorded, and the chain holds.
    full_disk.free()
    p = lpmaint("disable", a.name, user=AUTO)
    assert p.returncode == 0, p.stderr
    wait_state(a.name, ("disabled",))
    p = lpmaint("apply", b.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    wait_state(b.name, ("applied",))
    records = [(r["action"], r["patch"], r["result"]) for r in history()]
    assert ("disable", a.name, "accepted") in records
    assert ("apply", b.name, "accepted") in records
    p = verify(LOG)
    assert p.returncode == 0, p.stdout
    assert lpmaint("disable", b.name, user=AUTO).returncode == 0
    wait_state(b.name, ("disabled",))


def test_changes_refused_while_the_log_cannot_be_written(make_patch, workdir):
    """The log swapped for a FIFO while lpmaintd runs: never waited on, and
    every change is refused with AuditFailed before anything of it happens."""
    a = make_patch()
    b = make_patch()
    c = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    wait_state(a.name, ("applied",))
    assert lpmaint("apply", "--break-glass", c.manifest).returncode == 0  # root, as an administrator
    wait_state(c.name, ("applied",))
    assert lpmaint("reboot", "request", "--reason=before the test", user=AUTO).returncode == 0
    def reboot_state():
        st = lpmaint_json("reboot", "status")
        return st["reasons"], st["wave_state"], st["scheduled_usec"]
    reboot = reboot_state()

    aside = os.path.join(workdir, "audit.log.real")
    offset = daemon_log_size()
    shutil.move(LOG, aside)
    os.mkfifo(LOG, 0o600)
    try:
        for args in (("apply", b.manifest), ("disable", a.name), ("acknowledge", c.name),
                     ("reboot", "request", "--reason=audit test"), ("reboot", "schedule", "+10"),
                     ("reboot", "cancel"), ("reboot", "wave")):
            p = run("lpmaint", "--no-ask-password", *args, user=AUTO, timeout=30)
            assert p.returncode == 1, (args, p.returncode, p.stderr)
            assert "org.lpmaint1.Error.AuditFailed" in p.stderr, (args, p.stderr)
        # A denial is still a denial.
        assert lpmaint("disable", a.name, user=OTHER).returncode == EXIT_DENIED
        # Reading it is refused too, not waited on.
        p = run("lpmaint", "history", timeout=30)
        assert p.returncode == 1 and "org.lpmaint1.Error.StorageFailed" in p.stderr, p.stderr
        assert "not a regular file" in p.stderr, p.stderr
    finally:
        os.unlink(LOG)
        shutil.move(aside, LOG)
    assert "Failed to append to the audit log" in daemon_log_since(offset)
    assert f"Denial not in the audit log: disable {a.name} by uid" in daemon_log_since(offset)

    # Nothing of the refused changes happened.
    assert b.name not in patches()
    assert not os.path.exists(os.path.join(STATE, "patches", b.name))
    assert kernel_view(b.name) == {"module_loaded": False, "present": False, "enabled": False, "transition": False}
    assert patches()[a.name]["state"] == "applied" and kernel_view(a.name)["enabled"]
    assert patches()[c.name]["break_glass_acknowledged"] is False
    assert reboot_state() == reboot

    # The log is back: changes go through and the chain holds.
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_state(a.name, ("disabled",))
    assert lpmaint("acknowledge", c.name, user=AUTO).returncode == 0
    assert lpmaint("reboot", "cancel", user=AUTO).returncode == 0
    assert lpmaint_json("reboot", "status")["reboot_required"] is False
    records = [(r["action"], r["patch"], r["result"]) for r in history()]
    for record in (("disable", a.name, "accepted"), ("acknowledge-break-glass", c.name, "accepted"),
                   ("reboot-cancel", "", "accepted")):
        assert record in records
    assert verify(LOG).returncode == 0
    assert lpmaint("disable", c.name, user=AUTO).returncode == 0
    wait_state(c.name, ("disabled",))


def test_audit_verify_asks_the_running_lpmaintd_where_its_log_is(workdir):
    # A configuration that says otherwise loses to what lpmaintd itself says it writes...
    conf = os.path.join(workdir, "lpmaint.conf")
    elsewhere = os.path.join(workdir, "elsewhere")
    with open(conf, "w") as f:
        f.write(f"[Daemon]\nStateDirectory={elsewhere}\n")
    env = {**os.environ, "LPMAINT_CONFIG": conf}
    p = run("lpmaint", "--json", "audit", "verify", env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["file"] == LOG
    # ... and is the fallback when lpmaintd is not running.
    kill_daemon(signal.SIGTERM)
    try:
        p = run("lpmaint", "--json", "audit", "verify", env=env)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["file"] == os.path.join(elsewhere, "audit.log")
    finally:
        restart_daemon()
