# SPDX-License-Identifier: LGPL-2.1-or-later
"""lpmaint metrics: the Prometheus exposition, parsed by the real parser
(promtool check metrics, package prometheus), written atomically with
--output=, and kept current by --follow through lpmaintd's signals."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import (AUTO, EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, OTHER, SANITIZER_REPORTS, kill_daemon,
                      lpmaint, lpmaint_json, patches, restart_daemon, run, sim_path, sim_write, wait_for)

PATCH_STATES = ("loading", "patching", "applied", "unpatching", "disabled", "failed", "superseded", "absent")
LAST_FAMILY = "lpmaint_unacknowledged_break_glass"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def promtool_check(text):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install prometheus (tools/test --install-deps installs it)"
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    # Exit status 3 and a message are lint problems (names, units, HELP): none is acceptable.
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        f"promtool check metrics (exit status {p.returncode}):\n{p.stdout}{p.stderr}\non:\n{text}"


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse(text, check=True):
    """{(name, frozenset of labels): value}; promtool parses it first."""
    if check:
        promtool_check(text)
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample: {line!r}"
        labels = frozenset((k, unescape(v)) for k, v in LABEL.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in samples, f"duplicate series: {line}"
        samples[key] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def series(samples, name):
    return {labels: v for (n, labels), v in samples.items() if n == name}


def metrics():
    p = lpmaint("metrics")
    assert p.returncode == 0, p.stderr
    return parse(p.stdout)


def read_file(path, check=False):
    with open(path) as f:
        return parse(f.read(), check=check)


def manager_properties():
    """GetAll of org.lpmaint1.Manager, {name: value}, through busctl."""
    p = run("busctl", "--json=short", "call", "org.lpmaint1", "/org/lpmaint1", "org.freedesktop.DBus.Properties",
            "GetAll", "s", "org.lpmaint1.Manager", check=True)
    return {k: v["data"] for k, v in json.loads(p.stdout)["data"][0].items()}


def wait_metric(path, name, want, timeout=5.0, **labels):
    """Waits until the file at @path shows @name{labels} == @want; returns the samples."""
    def check():
        s = read_file(path)
        return s if value(s, name, **labels) == want else None
    return wait_for(check, timeout, f"{name}{labels} == {want} in {path}")


def apply(artifacts):
    p = lpmaint("apply", artifacts.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    assert patches()[artifacts.name]["state"] == "applied"


def disable_if_applied(name):
    if patches().get(name, {}).get("state") == "applied":
        assert lpmaint("disable", name, user=AUTO).returncode == 0


@pytest.fixture
def follower(workdir):
    """Starts `lpmaint metrics --follow` writing into a textfile directory of
    its own; returns (process, path). Stopped with SIGTERM afterwards."""
    procs = []

    def start(interval=3600):
        out = os.path.join(workdir, "node-exporter", "lpmaint.prom")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        p = subprocess.Popen(["lpmaint", "--no-ask-password", "metrics", "--follow", f"--output={out}",
                              f"--interval={interval}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        wait_for(lambda: os.path.exists(out), what="the first metrics file")
        return p, out

    yield start
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        err = p.stderr.read()
        assert not [r for r in SANITIZER_REPORTS if r in err], err


@pytest.fixture
def daemon_back():
    """Whatever a test did to lpmaintd, it runs again afterwards."""
    yield
    if run("busctl", "status", "org.lpmaint1").returncode != 0:
        restart_daemon()


def test_an_applied_patch_and_everything_else(make_patch):
    a = make_patch()
    apply(a)
    try:
        m = metrics()
        status = lpmaint_json("status")
        signals = lpmaint_json("signals")
        props = manager_properties()
        info = patches()[a.name]

        assert value(m, "lpmaint_up") == 1
        assert value(m, "lpmaint_info", version=status["version"], kernel_release=status["kernel_release"],
                     ring=lpmaint_json("ring")["ring"]) == 1
        assert value(m, "lpmaint_busy") == 0

        # One-hot: 1 for the state, 0 for every other documented one.
        for state in PATCH_STATES:
            assert value(m, "lpmaint_patch_state", patch=a.name, state=state) == (state == "applied"), state
        assert value(m, "lpmaint_patch_applied_timestamp_seconds", patch=a.name) == \
            pytest.approx(info["applied_usec"] / 1e6, abs=1e-6)
        # The sandbox has no ring: the patch does not soak.
        assert not [k for k in series(m, "lpmaint_patch_soak_verdict") if ("patch", a.name) in k]

        # The kernel as lpmaint status and signals show it; a live patch taints K.
        assert value(m, "lpmaint_kernel_tainted") == status["tainted"]
        flags = {dict(k)["flag"]: dict(k)["bit"] for k in series(m, "lpmaint_kernel_taint_flag")}
        assert flags == {f["letter"]: str(f["bit"]) for f in status["taint_flags"]}
        assert "K" in flags and set(series(m, "lpmaint_kernel_taint_flag").values()) == {1}
        assert value(m, "lpmaint_kernel_oops_total") == signals["oops_count"]
        assert value(m, "lpmaint_kernel_warnings_total") == signals["warn_count"]

        assert value(m, "lpmaint_reboot_required") == status["reboot_required"]
        assert {dict(k)["code"] for k in series(m, "lpmaint_reboot_reason")} == \
            {r["code"] for r in status["reboot_reasons"]}
        assert value(m, "lpmaint_unacknowledged_break_glass") == len(status["unacknowledged_break_glass"])

        # Times: left out when 0 (none, not known), and when an older
        # lpmaintd does not export the property at all.
        for prop, name in (("CoverageEndsUSec", "lpmaint_coverage_end_timestamp_seconds"),
                           ("NextRebootWindowUSec", "lpmaint_next_reboot_window_timestamp_seconds"),
                           ("ScheduledRebootUSec", "lpmaint_scheduled_reboot_timestamp_seconds")):
            usec = props.get(prop, 0)
            assert value(m, name) == (usec / 1e6 if usec else None), prop
        if "FleetLockHeld" in props:
            assert value(m, "lpmaint_fleet_lock_held") == props["FleetLockHeld"]
        else:
            assert not series(m, "lpmaint_fleet_lock_held")
        if "WaveState" in props:
            wave = series(m, "lpmaint_reboot_wave_state")
            assert {dict(k)["state"] for k, v in wave.items() if v == 1} == {props["WaveState"] or "none"}
        else:
            assert not series(m, "lpmaint_reboot_wave_state")
    finally:
        disable_if_applied(a.name)

    # A disabled patch keeps its series, with its new state.
    m = metrics()
    assert value(m, "lpmaint_patch_state", patch=a.name, state="disabled") == 1
    assert value(m, "lpmaint_patch_state", patch=a.name, state="applied") == 0


def test_output_replaces_the_file_atomically(workdir):
    d = os.path.join(workdir, "node-exporter")
    os.makedirs(d)
    out = os.path.join(d, "lpmaint.prom")
    with open(out, "w") as f:
        f.write("old\n")
    os.chmod(out, 0o600)
    os.link(out, os.path.join(d, "old.link"))

    # Mode 0644 whatever the umask, so that node_exporter's user can read it.
    p = run("lpmaint", "metrics", f"--output={out}", preexec_fn=lambda: os.umask(0o077))
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert os.stat(out).st_mode & 0o7777 == 0o644
    # Renamed over, not rewritten in place: the old inode still has the old bytes.
    with open(os.path.join(d, "old.link")) as f:
        assert f.read() == "old\n"
    with open(out) as f:
        text = f.read()
    assert value(parse(text), "lpmaint_up") == 1
    assert text == lpmaint("metrics").stdout
    # No temporary file left behind.
    assert sorted(os.listdir(d)) == ["lpmaint.prom", "old.link"]

    # A reader never sees a part of the file, however often it is replaced.
    torn = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            with open(out) as f:
                t = f.read()
            if not (t.endswith("\n") and t.startswith("# HELP lpmaint_up ") and f"\n{LAST_FAMILY} " in t):
                torn.append(t)
    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(15):
            assert run("lpmaint", "metrics", f"--output={out}").returncode == 0
    finally:
        stop.set()
        t.join()
    assert not torn, torn[:1]
    assert sorted(os.listdir(d)) == ["lpmaint.prom", "old.link"]


def test_usage_and_write_errors(workdir):
    for args in (["metrics", "--follow"], ["metrics", "--interval=5"],
                 ["metrics", "--follow", "--output=x.prom", "--interval=0"],
                 ["metrics", "--follow", "--output=x.prom", "--interval=soon"],
                 ["metrics", "--output="], ["metrics", "extra"], ["status", "--output=x.prom"],
                 ["list", "--follow"], ["metrics", "--json"]):
        p = lpmaint(*args)
        assert p.returncode == EXIT_USAGE, (args, p.stderr)
        assert p.stdout == "", args

    missing = os.path.join(workdir, "no-such-dir", "lpmaint.prom")
    p = lpmaint("metrics", f"--output={missing}")
    assert p.returncode == EXIT_FAILED and "No such file or directory" in p.stderr, p.stderr
    # --follow fails at once when it cannot write, instead of running uselessly.
    p = run("lpmaint", "metrics", "--follow", f"--output={missing}", timeout=30)
    assert p.returncode == EXIT_FAILED, p.stderr

    # A directory the caller may not write to: refused, and nothing is left in it.
    d = os.path.join(workdir, "root-only")
    os.makedirs(d, mode=0o755)
    p = lpmaint("metrics", f"--output={d}/lpmaint.prom", user=OTHER)
    assert p.returncode == EXIT_FAILED and "Permission denied" in p.stderr, p.stderr
    assert os.listdir(d) == []


def test_follow_rewrites_after_changes(make_patch, follower):
    a, b = make_patch(), make_patch()
    apply(a)
    try:
        # --interval=3600: every change below must come from a signal.
        proc, out = follower(interval=3600)
        s = wait_metric(out, "lpmaint_patch_state", 1, patch=a.name, state="applied")
        promtool_check(open(out).read())
        assert value(s, "lpmaint_up") == 1

        # A new patch object (InterfacesAdded), then its state changes.
        apply(b)
        wait_metric(out, "lpmaint_patch_state", 1, patch=b.name, state="applied")

        # Disabling (PropertiesChanged of the patch and the Manager's Busy).
        t0 = time.monotonic()
        assert lpmaint("disable", a.name, user=AUTO).returncode == 0
        s = wait_metric(out, "lpmaint_patch_state", 1, patch=a.name, state="disabled")
        assert time.monotonic() - t0 < 5
        assert value(s, "lpmaint_patch_state", patch=a.name, state="applied") == 0
        assert value(s, "lpmaint_patch_state", patch=b.name, state="applied") == 1
        assert value(s, "lpmaint_busy") == 0
        promtool_check(open(out).read())
        assert os.stat(out).st_mode & 0o7777 == 0o644
        assert os.listdir(os.path.dirname(out)) == ["lpmaint.prom"]

        # Stopped by systemd: exit status 0, the file stays.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
        assert value(read_file(out, check=True), "lpmaint_up") == 1
    finally:
        disable_if_applied(a.name)
        disable_if_applied(b.name)


def test_follow_rereads_every_interval(follower):
    """Taint and the kernel's counters announce no change: --interval reads them."""
    warn = sim_path("sys/kernel/warn_count")
    before = open(warn).read() if os.path.exists(warn) else None
    proc, out = follower(interval=1)
    try:
        count = value(read_file(out), "lpmaint_kernel_warnings_total")
        sim_write("sys/kernel/warn_count", str(int(count) + 5))
        wait_metric(out, "lpmaint_kernel_warnings_total", count + 5, timeout=5)
        # Rewritten even when nothing changed: the file's age tells it is followed.
        mtime = os.stat(out).st_mtime_ns
        wait_for(lambda: os.stat(out).st_mtime_ns != mtime, timeout=5, what="a periodic rewrite")
    finally:
        if before is None:
            os.unlink(warn)
        else:
            with open(warn, "w") as f:
                f.write(before)
    assert proc.poll() is None


def test_follow_reports_lpmaintd_gone_and_back(make_patch, follower, daemon_back):
    a = make_patch()
    apply(a)
    try:
        proc, out = follower(interval=3600)
        wait_metric(out, "lpmaint_patch_state", 1, patch=a.name, state="applied")

        # Gone: lpmaint_up 0, and the last state stays in the file.
        kill_daemon(signal.SIGTERM)
        s = wait_metric(out, "lpmaint_up", 0, timeout=5)
        assert value(s, "lpmaint_patch_state", patch=a.name, state="applied") == 1
        promtool_check(open(out).read())
        assert proc.poll() is None
        # It does not bring lpmaintd back itself (no bus activation).
        time.sleep(0.5)
        assert run("busctl", "status", "org.lpmaint1").returncode != 0

        # Back (NameOwnerChanged): read again, and followed again.
        restart_daemon()
        wait_metric(out, "lpmaint_up", 1, timeout=10)
        assert lpmaint("disable", a.name, user=AUTO).returncode == 0
        wait_metric(out, "lpmaint_patch_state", 1, patch=a.name, state="disabled")
        assert proc.poll() is None
    finally:
        if run("busctl", "status", "org.lpmaint1").returncode != 0:
            restart_daemon()
        disable_if_applied(a.name)


@pytest.mark.lpmaintd_stopped
def test_once_without_lpmaintd(workdir, daemon_back):
    kill_daemon(signal.SIGTERM)
    p = lpmaint("metrics")
    assert p.returncode == EXIT_UNREACHABLE, p.stderr
    assert series(parse(p.stdout), "lpmaint_up") == {frozenset(): 0}
    assert [line for line in p.stdout.splitlines() if not line.startswith("#")] == ["lpmaint_up 0"]

    out = os.path.join(workdir, "lpmaint.prom")
    p = lpmaint("metrics", f"--output={out}")
    assert p.returncode == EXIT_UNREACHABLE, p.stderr
    assert read_file(out, check=True) == {("lpmaint_up", frozenset()): 0}
