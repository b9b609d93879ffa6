# SPDX-License-Identifier: LGPL-2.1-or-later
"""50 concurrent ordinary clients mixing reads and refused writes: no
unexpected answer, lpmaintd alive, its memory flat, no leak at exit.

LPMAINT_STRESS_SEC sets the length of the measured run (default 60)."""
import os
import re
import subprocess
import time

from conftest import OTHER, daemon_pid
from daemon_health import assert_answers, rss_kib, sanitized, stop_and_check_for_leaks, tool

CLIENTS = 50
SECONDS = int(os.environ.get("LPMAINT_STRESS_SEC", "60"))
WARMUP = max(2, min(10, SECONDS // 6))
# Allowed growth of the daemon's RSS over the measured run. GetHistory reads
# the whole audit log on each call, and every refused write adds a record to
# it, so the transient peak of a call grows with the log: up to about five
# times its size (the bytes, a copy, the split lines and the parsed records),
# which glibc may keep resident after the call. On top of that a fixed 4 MiB
# for the allocator's arenas and sd-bus's queues at 50 clients. A leak of
# even 100 bytes per call exceeds this within a minute.
FIXED_MARGIN_KIB = 4096
LOG_FACTOR = 5

TOTAL = re.compile(r"^total calls=(\d+) unexpected=(\d+)$", re.M)


def log_size():
    return os.path.getsize(os.path.join(os.environ["LPMAINT_STATE_DIR"], "audit.log"))


def run_clients(seconds, small_file):
    procs = [subprocess.Popen(["runuser", "-u", OTHER, "--", tool("stress-client"), f"--seconds={seconds}", small_file],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(CLIENTS)]
    calls = unexpected = 0
    problems = []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 120)
        m = TOTAL.search(out)
        if not m or p.returncode not in (0, 1):
            problems.append(f"client exit {p.returncode}: {out}{err}")
            continue
        calls += int(m.group(1))
        unexpected += int(m.group(2))
        if int(m.group(2)):
            problems.append(err)
    return calls, unexpected, problems


def test_stress(workdir):
    small = os.path.join(workdir, "small")
    with open(small, "w") as f:
        f.write("[Patch]\nName=not_signed\n")
    os.chmod(small, 0o644)
    pid = daemon_pid()

    # Warm-up: the same load, so that caches, allocator arenas and polkit's
    # registry of callers reach their steady size before the measurement.
    calls, unexpected, problems = run_clients(WARMUP, small)
    assert not problems and unexpected == 0, problems[:3]
    assert calls > 0
    rss_before, log_before = rss_kib(pid), log_size()

    start = time.monotonic()
    calls, unexpected, problems = run_clients(SECONDS, small)
    elapsed = time.monotonic() - start
    rss_after, log_after = rss_kib(pid), log_size()

    print(f"{CLIENTS} clients, {SECONDS} s: {calls} calls ({calls / elapsed:.0f}/s), {unexpected} unexpected; "
          f"RSS {rss_before} -> {rss_after} KiB; audit log {log_before} -> {log_after} bytes")
    assert not problems, problems[:3]
    assert unexpected == 0
    # Each client made calls of every kind (5 per round).
    assert calls >= CLIENTS * 5
    assert daemon_pid() == pid, "lpmaintd was restarted"
    assert_answers()

    if not sanitized(pid):
        margin = FIXED_MARGIN_KIB + LOG_FACTOR * (log_after - log_before) // 1024
        assert rss_after <= rss_before + margin, \
            f"lpmaintd grew from {rss_before} to {rss_after} KiB (allowed {margin} KiB)"
    # The sanitizer build's RSS says nothing (ASan keeps up to 256 MiB of
    # freed memory in quarantine); its LeakSanitizer report at exit does.
    stop_and_check_for_leaks()
