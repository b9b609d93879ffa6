# SPDX-License-Identifier: LGPL-2.1-or-later
"""What lpmaint shows an administrator: one patch (show, status NAME), list's
soak and last operation, the ring in the configuration's own spelling, the
status lines, a readable history, audit verify of lpmaintd's own log, and one
vocabulary (taint, times, JSON keys) across the commands."""
import json
import os
import pwd
import re
import signal
import subprocess

import pytest

from conftest import (AUTO, EXIT_FAILED, EXIT_USAGE, OTHER, RELEASE, SANDBOX, history, kill_daemon, lpmaint,
                      lpmaint_json, patches, restart_daemon, run, sim_read, sim_write, wait_for, wait_state)
from test_soak import kernel_says, set_ring, soak_state

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# RFC 3339 with the local offset, the one format of every time lpmaint prints.
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"
# hostnamectl's aligned form: keys right-aligned to one column, then ": ".
FIELD = re.compile(r"^ {0,19}[A-Za-z][A-Za-z0-9 .-]*: \S|^ {22}\S")


def fields(text):
    """The KEY: VALUE lines of a view as a dict (continuation lines dropped)."""
    out = {}
    for line in text.splitlines():
        assert FIELD.match(line) and (line[20:22] in (": ", "  ")), f"not aligned: {line!r}"
        if line[20] == ":":
            out[line[:20].strip()] = line[22:]
    return out


def taint_text(mask):
    """The one way taint prints: letters, lowest bit first, and the mask."""
    letters = "PFSRMBUDAWCIOELKXTN"
    names = [letters[b] if b < len(letters) else "?" for b in range(64) if mask >> b & 1]
    return f"{' '.join(names) or 'none'} ({mask})"


def apply(a):
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr


@pytest.fixture
def applied(make_patch):
    a = make_patch(version="2.1", cves=("CVE-2026-2000", "CVE-2026-2001"))
    apply(a)
    yield a
    lpmaint("disable", a.name, user=AUTO)


SHOW_GOLDEN = """\
                Name: {name}
             Version: 2.1
         Description: -
                CVEs: CVE-2026-2000, CVE-2026-2001
      Kernel release: {release}
             Replace: no
              Stream: {name}
              Issued: TIME
             Expires: never
       Coverage ends: not stated
             Release: every ring at once
              Signer: {signer}
      Module SHA-256: {sha256}
    Module signature: unsigned
               State: applied (since TIME)
      Last operation: apply: success
             Applied: TIME
                Soak: none (the host has no ring)
"""


def test_show_is_everything_the_patch_object_knows(applied):
    name = applied.name
    p = lpmaint("show", name)
    assert p.returncode == 0, p.stderr
    info = patches()[name]
    # Golden, but for the times (each in the one format) and the sandbox's facts.
    expected = SHOW_GOLDEN.format(name=name, release=RELEASE, signer=info["signer"], sha256=info["module_sha256"])
    assert re.sub(TIME, "TIME", p.stdout) == expected
    f = fields(p.stdout)
    assert "CN=" in f["Signer"] and len(f["Module SHA-256"]) == 64
    # systemctl's spelling works too, and says the same.
    assert lpmaint("status", name).stdout == p.stdout
    # --json is the patch's object of list --json.
    assert lpmaint_json("show", name) == info
    assert lpmaint_json("status", name) == info


def test_show_of_unknown_and_invalid_names():
    p = lpmaint("show", "lp_never_applied")
    assert p.returncode == EXIT_FAILED and "No patch 'lp_never_applied'" in p.stderr
    p = lpmaint("show", "Bad Name!")
    assert p.returncode == EXIT_USAGE and "Invalid patch name 'Bad Name!'" in p.stderr
    assert lpmaint("show").returncode == EXIT_USAGE


def test_show_a_soaking_patch_and_its_verdict(make_patch, dropin):
    set_ring(3600)
    a = make_patch()
    apply(a)
    f = fields(lpmaint("show", a.name).stdout)
    assert f["Soak"] == "soaking"
    assert re.fullmatch(rf"{TIME} \((59min \d+s|1h) left\)", f["Soak ends"]), f["Soak ends"]

    kernel_says("WARNING: CPU: 1 PID: 42 at kernel/sched/core.c:100 resched_curr+0x1/0x2")
    wait_for(lambda: soak_state(a.name) == "failed", timeout=10, what="failed soak")
    wait_state(a.name, {"disabled"})
    f = fields(lpmaint("show", a.name).stdout)
    assert f["Soak"] == "failed" and "kernel log events" in f["Soak evidence"]
    assert re.fullmatch(rf"{TIME} \(planned; the soak ended early\)", f["Soak ends"])
    # Rolled back after the failed soak: the list says so, not "disabled success".
    row = [l for l in lpmaint("list").stdout.splitlines() if l.startswith(a.name + " ")][0]
    assert re.search(r"\bdisabled\s+failed\s+disable: success\b", row), row


def test_list_columns_and_a_failed_operation(make_patch, stuck_task):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == EXIT_FAILED
    lines = lpmaint("list").stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "STATE", "SOAK", "LAST", "OPERATION", "CVES", "MODULE", "SIGNATURE"]
    row = [l for l in lines if l.startswith(a.name + " ")][0]
    # Which operation failed, and how.
    assert re.search(r"\bfailed\s+-\s+apply: transition-timeout\b", row), row
    f = fields(lpmaint("show", a.name).stdout)
    assert f["Last operation"] == "apply: transition-timeout"
    assert "pid 4242 (stuck-worker)" in lpmaint("show", a.name).stdout


RING = """[Daemon]
Ring=canary

[Ring canary]
SoakSec=7200
AllowedNewTaint=OE
MaxPressureIncrease=25
MaxNewWarnings=2
HealthChecks=web

[HealthCheck web]
ExecStart=/bin/true
"""


RING_GOLDEN = """\
Ring: canary
Soak criteria ([Ring canary] in lpmaint.conf):
  SoakSec=7200 (2h)
  MaxNewTaintFlags=0
  AllowedNewTaint=O E (12288), and K always
  MaxNewOops=0
  MaxNewWarnings=2
  MaxKernelLogEvents=0
  MaxPressureIncrease=25
  HealthChecks=web
  AutomaticRollback=yes

NAME"""


def test_ring_in_the_configuration_s_spelling(make_patch, dropin):
    dropin(RING)
    wait_for(lambda: lpmaint_json("ring")["ring"] == "canary", what="ring configured")
    a = make_patch()
    apply(a)
    try:
        text = lpmaint("ring").stdout
        # Golden: the criteria as lpmaint.conf spells them, in its units.
        assert text.startswith(RING_GOLDEN), text
        assert "45056" not in text and "2500" not in text
        header = [l for l in text.splitlines() if l.startswith("NAME")][0]
        assert header.split() == ["NAME", "STATE", "SOAK", "SOAK", "ENDS", "LEFT", "EVIDENCE"]
        row = [l for l in text.splitlines() if l.startswith(a.name + " ")][0]
        assert re.search(rf"soaking\s+{TIME}\s+(1h 59min \d+s|2h)\s", row), row

        j = lpmaint_json("ring")
        c = j["criteria"]
        assert c["soak_sec"] == 7200 and c["max_pressure_increase"] == 25 and c["max_new_warnings"] == 2
        assert [f["letter"] for f in c["allowed_new_taint"]] == ["O", "E"]
        assert j["health_checks"] == ["web"]
    finally:
        lpmaint("disable", a.name, user=AUTO)


def test_status_names_the_ring_and_the_transition(make_patch, transition_ms, dropin):
    f = fields(lpmaint("status").stdout)
    assert f["Ring"] == "none (patches do not soak)" and f["Busy"] == "no"
    transition_ms(3000)
    a = make_patch()
    assert lpmaint("apply", "--no-wait", a.manifest, user=AUTO).returncode == 0
    f = fields(lpmaint("status").stdout)
    assert f["Busy"] == f"yes (apply {a.name}, patching)"
    j = lpmaint_json("status")
    assert j["transition"] == {"patch": a.name, "operation": "apply", "state": "patching"}
    wait_state(a.name, {"applied"})
    assert lpmaint_json("status")["transition"] is None
    dropin("[Daemon]\nRing=canary\n\n[Ring canary]\nSoakSec=60\n")
    wait_for(lambda: fields(lpmaint("status").stdout)["Ring"] == "canary", what="ring in status")
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_readme_status_sample_is_what_status_prints():
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    sample = readme.split("$ lpmaint status\n", 1)[1].split("$ ", 1)[0]
    printed = lpmaint("status").stdout
    keys = list(fields(sample))
    # The same lines in the same order, aligned the same way; the values are the sandbox's.
    assert keys == [k for k in fields(printed) if k in keys]
    assert set(fields(printed)) - set(keys) <= {"Reboot reasons", "BREAK-GLASS", "RECORDS BEHIND"}


def test_taint_is_printed_one_way(applied):
    mask = int(sim_read("proc/sys/kernel/tainted"))
    assert fields(lpmaint("status").stdout)["Tainted"] == taint_text(mask)
    assert f"Kernel taint: {taint_text(mask)}\n" in lpmaint("signals").stdout
    status, signals = lpmaint_json("status"), lpmaint_json("signals")
    assert status["taint_flags"] == signals["taint_flags"]
    assert {"bit": 15, "letter": "K", "name": "kernel live patched"} in signals["taint_flags"]


def keys_of(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k
            yield from keys_of(v, f"{path}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from keys_of(v, path + "[]")


def test_json_keys_are_snake_case_in_every_command(applied):
    outputs = {verb: lpmaint_json(*verb.split()) for verb in
               ("status", "list", "ring", "signals", "history", "reboot status", "reboot plan", f"show {applied.name}")}
    p = run("lpmaint", "--json", "audit", "verify")
    outputs["audit verify"] = json.loads(p.stdout)
    for verb, value in outputs.items():
        bad = [path for path, k in keys_of(value) if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", k)]
        assert not bad, f"{verb}: {bad}"


def test_times_are_rfc3339_everywhere(applied):
    # Every date lpmaint prints for people has the one form.
    for verb in (("status",), ("list",), ("show", applied.name), ("history", "--limit=5"), ("signals",),
                 ("reboot", "status")):
        text = lpmaint(*verb).stdout
        for d in re.findall(r"\d{4}-\d\d-\d\d[ T]\S+", text):
            assert re.fullmatch(TIME, d.rstrip(").,")), (verb, d)


def test_history_is_readable(applied, dropin):
    auto = pwd.getpwnam(AUTO)
    lines = lpmaint("history", f"--patch={applied.name}").stdout.splitlines()
    assert lines[0].split() == ["TIME", "USER", "ACTION", "PATCH", "RESULT", "MESSAGE"]
    assert any(f"{AUTO} ({auto.pw_uid})" in l and " apply " in l for l in lines[1:]), lines
    records = history(patch=applied.name)
    assert {r["user"] for r in records if r["uid"] == auto.pw_uid} == {AUTO}
    assert not any(r["by_lpmaintd"] for r in records)


def test_history_shows_lpmaintd_s_own_actions(make_patch, dropin):
    set_ring(60)
    a = make_patch()
    apply(a)
    kernel_says("WARNING: CPU: 1 PID: 42 at kernel/sched/core.c:100 resched_curr+0x1/0x2")
    wait_state(a.name, {"disabled"})
    records = history(patch=a.name)
    own = [(r["action"], r["user"]) for r in records if r["by_lpmaintd"]]
    assert ("soak", "lpmaintd") in own and ("rollback", "lpmaintd") in own
    text = lpmaint("history", f"--patch={a.name}").stdout
    assert re.search(rf"\slpmaintd\s+soak\s+{a.name}\s+failed\s", text), text
    assert not re.search(r"\s0\s+(soak|rollback)\s", text)


@pytest.mark.parametrize("since,until,found", [
    ("-1h", None, True),
    ("today", None, True),
    ("yesterday", None, True),
    ("1 hour ago", None, True),
    ("tomorrow", None, False),
    ("+1h", None, False),
    (None, "yesterday", False),
    (None, "-1h", False),
    ("2000-01-01", "+1h", True),
    ("2000-01-01 00:00", "2000-01-02 00:00:00", False),
])
def test_history_since_and_until(applied, since, until, found):
    args = {}
    if since:
        args["since"] = since
    if until:
        args["until"] = until
    assert bool([r for r in history(**args) if r["patch"] == applied.name]) == found


def test_history_bad_times_are_usage_errors():
    for opt in ("--since=bogus", "--until=25:00", "--since=-2 fortnights"):
        p = lpmaint("history", opt)
        assert p.returncode == EXIT_USAGE and "expected a time" in p.stderr, (opt, p.stderr)
    assert lpmaint("status", "--until=today").returncode == EXIT_USAGE


def test_history_cuts_long_messages_only_on_a_terminal(make_patch, workdir):
    # A refusal quotes the error: a long, one-line message.
    a = make_patch(manifest_release="9.9.9-not-this-kernel")
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == EXIT_FAILED
    # A refusal before the manifest is trusted names no patch: it is the newest record.
    last = history(limit=1)[0]
    assert (last["action"], last["result"]) == ("apply", "refused")
    whole = last["message"]
    assert len(whole) > 60 and "WrongKernel" in whole
    piped = lpmaint("history", "--limit=1").stdout
    assert whole in piped
    # On a terminal of 100 columns ($COLUMNS, or the terminal's own size) every
    # line fits and the message ends in an ellipsis: without a pager ("cat"
    # means none, as for systemctl), and paged, as systemctl cuts to the
    # terminal's width (asked before the pager has standard output).
    out = os.path.join(workdir, "tty.out")
    for pager, prefix, columns in (("cat", "", {"COLUMNS": "100"}), ("sed s/^/PAGED:/", "PAGED:", {})):
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        env.update(TERM="dumb", SYSTEMD_PAGER=pager, PAGER="cat", **columns)
        run("script", "-qec", "stty cols 100; lpmaint history --limit=1", out, env=env, check=True)
        with open(out, errors="replace") as f:
            lines = [l.rstrip("\r") for l in f.read().splitlines() if l.strip() and not l.startswith("Script ")]
        widths = [len(l) - len(prefix) for l in lines if l.startswith(prefix)]
        # The cut line fills the width exactly: 100, not a guess of 80.
        assert lines and len(widths) == len(lines) and max(widths) == 100, (pager, lines)
        # The ellipsis is "…" in a UTF-8 locale, "..." in another.
        assert whole not in "\n".join(lines) and any(l.endswith(("\u2026", "...")) for l in lines), (pager, lines)


def verify_with_config(workdir, main, dropins=(), *args):
    conf = os.path.join(workdir, "lpmaint.conf")
    with open(conf, "w") as f:
        f.write(main)
    os.makedirs(conf + ".d", exist_ok=True)
    for i, text in enumerate(dropins):
        with open(os.path.join(conf + ".d", f"{50 + i}-x.conf"), "w") as f:
            f.write(text)
    return run("lpmaint", *args, "audit", "verify", env={**os.environ, "LPMAINT_CONFIG": conf})


def test_audit_verify_reads_lpmaintd_s_log_by_default():
    # The sandbox's lpmaintd runs with --config=$LPMAINT_CONFIG: the log is in its StateDirectory=.
    p = run("lpmaint", "audit", "verify")
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(r"OK: \d+ records, chain intact\.\n", p.stdout)
    j = json.loads(run("lpmaint", "--json", "audit", "verify").stdout)
    assert j["file"] == os.path.join(os.environ["LPMAINT_STATE_DIR"], "audit.log") and j["ok"] is True


def test_audit_verify_of_a_log_with_no_record_yet(workdir):
    # lpmaintd is down: the configuration says where its log is.
    kill_daemon(signal.SIGTERM)
    try:
        verify_empty_log(workdir)
    finally:
        restart_daemon()


def verify_empty_log(workdir):
    state = os.path.join(workdir, "state")
    later = os.path.join(workdir, "later")
    os.makedirs(later)
    # The drop-in wins over the main file, as for lpmaintd.
    p = verify_with_config(workdir, f"[Daemon]\nStateDirectory={state}\n", [f"[Daemon]\nStateDirectory={later}\n"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"OK: {later}/audit.log is empty (no record yet), and intact.\n"
    open(os.path.join(later, "audit.log"), "w").close()
    p = verify_with_config(workdir, f"[Daemon]\nStateDirectory={state}\n", [f"[Daemon]\nStateDirectory={later}\n"],
                           "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["records"] == 0
    # A named file that does not exist is still an error.
    assert run("lpmaint", "audit", "verify", os.path.join(later, "nothing.log")).returncode == EXIT_FAILED


def test_audit_verify_of_a_directory():
    p = run("lpmaint", "audit", "verify", "/etc")
    assert p.returncode == EXIT_FAILED
    assert "/etc is a directory" in p.stderr and "mmap" not in p.stderr
