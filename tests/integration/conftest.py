# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the integration tests.

They run inside `tools/sandbox run -- ...`: a private system bus, the real
polkitd with the project's policy and rules, and lpmaintd on a simulated
kernel. The sandbox exports the paths and users these helpers read.
"""
import json
import signal
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

ENV = os.environ
SIM = ENV.get("LPMAINT_SIM_DIR", "")
PKI = ENV.get("LPMAINT_PKI", "")
RELEASE = ENV.get("LPMAINT_KERNEL_RELEASE", "")
AUTO = ENV.get("LPMAINT_AUTOMATION_USER", "lpmaint-auto")
OTHER = ENV.get("LPMAINT_OTHER_USER", "lpmaint-user")
SANDBOX = ENV.get("LPMAINT_SANDBOX", "")

EXIT_FAILED, EXIT_USAGE, EXIT_DENIED, EXIT_BUSY, EXIT_UNREACHABLE = 1, 2, 3, 4, 5


def pytest_configure(config):
    if not SANDBOX:
        pytest.exit("run the integration tests with: tools/sandbox run -- python3 -m pytest tests/integration", 2)
    config.addinivalue_line("markers", "lpmaintd_stopped: the test ends with lpmaintd stopped on purpose")


def run(*cmd, user=None, check=False, **kw):
    if user:
        cmd = ("runuser", "-u", user, "--") + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def lpmaint(*args, user=None):
    return run("lpmaint", "--no-ask-password", *args, user=user)


def lpmaint_json(*args):
    p = lpmaint("--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def patches():
    return {p["name"]: p for p in lpmaint_json("list")}


def history(**filters):
    args = []
    for k, v in filters.items():
        args.append(f"--{k}={v}")
    return lpmaint_json("history", *args)


def sim_path(*parts):
    return os.path.join(SIM, *parts)


def sim_read(*parts):
    with open(sim_path(*parts)) as f:
        return f.read().strip()


def sim_write(rel, value):
    path = sim_path(rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(value + "\n")


def kernel_view(name):
    """What the (simulated) kernel itself says about a patch, by its sysfs files."""
    lp = sim_path("sys/kernel/livepatch", name)
    return {
        "module_loaded": os.path.exists(sim_path("sys/module", name, "initstate")),
        "present": os.path.isdir(lp),
        "enabled": os.path.isdir(lp) and sim_read("sys/kernel/livepatch", name, "enabled") == "1",
        "transition": os.path.isdir(lp) and sim_read("sys/kernel/livepatch", name, "transition") == "1",
    }


def kmsg():
    try:
        return sim_read("sim/kmsg")
    except FileNotFoundError:
        return ""


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_state(name, states, timeout=20.0):
    def check():
        p = patches().get(name)
        return p if p and p["state"] in states else None
    return wait_for(check, timeout, f"{name} in {states}")


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


class Artifacts:
    """A signed patch in a world-readable directory, made by the project's own tools."""

    def __init__(self, name, manifest, module, signature):
        self.name, self.manifest, self.module, self.signature = name, manifest, module, signature


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="lpmaint-it-", dir=SANDBOX)
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_patch(workdir):
    def make(name=None, version="1.0", replace=False, not_livepatch=False, module_release=None,
             manifest_release=None, signer="signer", cves=("CVE-2026-0001",), extra=(), stream=None,
             sign_module=False):
        name = name or unique("lp")
        out = tempfile.mkdtemp(dir=workdir)
        os.chmod(out, 0o755)
        module = os.path.join(tempfile.mkdtemp(dir=workdir), f"{name}.ko")
        cmd = ["make-sim-module", "--name", name, "--release", module_release or RELEASE, "-o", module]
        if not_livepatch:
            cmd.append("--not-livepatch")
        if replace:
            cmd.append("--replace")
        if sign_module:
            cmd += ["--sign-key", os.path.join(PKI, "signer.key"), "--sign-cert", os.path.join(PKI, "signer.pem")]
        run(*cmd, check=True)
        sign = ["lpmaint-sign", "--key", os.path.join(PKI, f"{signer}.key"),
                "--cert", os.path.join(PKI, f"{signer}.pem"), "--module", module, "--name", name,
                "--version", version, "--kernel", manifest_release or RELEASE, "--output-dir", out]
        for c in cves:
            sign += ["--cve", c]
        if replace:
            sign.append("--replace")
        if stream:
            sign += ["--stream", stream]
        sign += list(extra)
        run(*sign, check=True)
        for root, dirs, files in os.walk(out):
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        manifest = os.path.join(out, f"{name}.manifest")
        return Artifacts(name, manifest, os.path.join(out, f"{name}.ko"), manifest + ".p7s")
    return make


@pytest.fixture
def transition_ms():
    """Sets how long the simulated kernel takes for a transition; puts it back after."""
    def set_ms(ms):
        sim_write("sim/transition-ms", str(ms))
    yield set_ms
    sim_write("sim/transition-ms", "300")


@pytest.fixture
def stuck_task():
    """A task that sleeps inside the patched function: forward transitions never finish."""
    pid = "4242"
    base = sim_path("proc", pid, "task", pid)
    os.makedirs(base, exist_ok=True)
    sim_write(f"proc/{pid}/task/{pid}/comm", "stuck-worker")
    sim_write(f"proc/{pid}/task/{pid}/patch_state", "-1")
    sim_write("sim/stuck-pids", pid)
    yield int(pid)
    os.unlink(sim_path("sim/stuck-pids"))
    shutil.rmtree(sim_path("proc", pid), ignore_errors=True)


def daemon_pid():
    with open(os.path.join(SANDBOX, "lpmaintd.pid")) as f:
        return int(f.read().strip())


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def kill_daemon(sig):
    """Signals lpmaintd and waits until it is gone (a sanitizer build takes a while to die)."""
    pid = daemon_pid()
    os.kill(pid, sig)
    wait_for(lambda: not _alive(pid), timeout=30, what=f"lpmaintd {pid} gone")


def reload_daemon():
    os.kill(daemon_pid(), signal.SIGHUP)


def restart_daemon():
    run(os.path.join(SANDBOX, "lpmaintd-start"), check=True)


RING_DROPIN = os.path.join(ENV.get("LPMAINT_CONFIG", "") + ".d", "80-ring.conf")


def write_dropin(text):
    """Writes the tests' configuration drop-in and has lpmaintd reload."""
    with open(RING_DROPIN, "w") as f:
        f.write(text)
    reload_daemon()


@pytest.fixture
def dropin():
    """write_dropin(); afterwards the drop-in is gone and the host has no ring again."""
    yield write_dropin
    if os.path.exists(RING_DROPIN):
        os.unlink(RING_DROPIN)
    reload_daemon()
    wait_for(lambda: lpmaint_json("ring")["ring"] == "", what="ring removed")


@pytest.fixture
def system_double():
    """systemd and logind on the sandbox's bus, as a test double (system_double.py):
    .set(**control), .set_unit(name, **fields), .control(), .calls(method=None),
    .scheduled(). Without this fixture the bus has neither."""
    from system_double import SystemDouble  # needs python3-dbus; only tests that use it import it
    with SystemDouble(os.path.join(SANDBOX, "system-double")) as double:
        yield double


def simulate_reboot(crash=False):
    """Stops lpmaintd (SIGKILL: the boot crashed), empties the simulated kernel
    of modules and live patches as a reboot would, and starts lpmaintd in a new boot."""
    kill_daemon(signal.SIGKILL if crash else signal.SIGTERM)
    for d in ("sys/kernel/livepatch", "sys/module", "sim/modules", "sim/transitions"):
        shutil.rmtree(sim_path(d), ignore_errors=True)
        os.makedirs(sim_path(d))
    sim_write("proc/sys/kernel/tainted", "0")
    sim_write("proc/stat", f"btime {int(time.time())}\n")
    sim_write("proc/sys/kernel/random/boot_id", str(uuid.uuid4()))
    restart_daemon()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Each test ends with lpmaintd running. A test that failed between killing
    it (crash_points.py) and starting it again has it started here, before its
    fixtures are torn down, so that failure does not become every later test's
    (ServiceUnknown). A test that passed but left lpmaintd dead fails: the
    daemon died unasked, unless the test is marked lpmaintd_stopped."""
    outcome = yield
    try:
        pid = daemon_pid()
    except (FileNotFoundError, ValueError):
        pid = None
    if pid is not None and _alive(pid):
        return
    restart_daemon()
    if outcome.excinfo is None and item.get_closest_marker("lpmaintd_stopped") is None:
        raise AssertionError(f"lpmaintd (pid {pid}) was not running at the end of the test; started again")


@pytest.fixture(autouse=True, scope="session")
def fast_transitions():
    sim_write("sim/transition-ms", "300")


SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


@pytest.fixture(autouse=True, scope="session")
def no_sanitizer_reports():
    """A sanitizer report in lpmaintd's log (a sanitizer build) fails the session."""
    yield
    log = os.environ.get("LPMAINT_DAEMON_LOG", os.path.join(SANDBOX, "lpmaintd.log"))
    with open(log, errors="replace") as f:
        text = f.read()
    found = [r for r in SANITIZER_REPORTS if r in text]
    assert not found, f"sanitizer reports in {log}: {found}"
