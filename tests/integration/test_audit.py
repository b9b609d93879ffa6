# SPDX-License-Identifier: LGPL-2.1-or-later
"""lpmaint audit verify: the live audit log is intact, and copies of it with a
record edited, deleted, moved or torn each fail at the right line."""
import json
import os
import re
import shutil

import pytest

from conftest import AUTO, OTHER, lpmaint, run, unique, wait_for

LOG = os.path.join(os.environ.get("LPMAINT_STATE_DIR", ""), "audit.log")


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
    assert re.fullmatch(r"OK: \d+ records, chain intact\.\n", p.stdout), p.stdout

    n = len(lines_of(log_copy))
    p = verify(log_copy)
    assert p.returncode == 0, p.stdout
    assert p.stdout == f"OK: {n} records, chain intact.\n"
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
