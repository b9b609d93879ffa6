# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fault matrix (issue #11): for each operation, trace lpmaintd's
file-changing calls under its state directory once, then at each of them
kill it, fail the call with EIO or ENOSPC, or cut a write short (short: half
the bytes written and a short count returned; torn: half written, then
SIGKILL); restart lpmaintd without injection and check the invariants.

Runs inside tools/sandbox (tests/faults/run is the entry point). Each
operation starts from a saved world (the state directory and the simulated
kernel, lpmaintd stopped), so each point runs from the same start and the
patch names, and so the points, are the same on every run.

One line per point: "ok" or "not ok", the operation, the point (call, path,
occurrence), the mode and, when not ok, the invariants that failed; then
exactly "N passed, N failed".
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ENV = os.environ
SANDBOX = ENV.get("LPMAINT_SANDBOX", "")
STATE = ENV.get("LPMAINT_STATE_DIR", "")
SIM = ENV.get("LPMAINT_SIM_DIR", "")
BUILD = ENV.get("LPMAINT_BUILD_DIR", "")
REPO = ENV.get("LPMAINT_REPO", "")
PKI = ENV.get("LPMAINT_PKI", "")
RELEASE = ENV.get("LPMAINT_KERNEL_RELEASE", "")
AUTO = ENV.get("LPMAINT_AUTOMATION_USER", "lpmaint-auto")
OTHER = ENV.get("LPMAINT_OTHER_USER", "lpmaint-user")
START = ENV.get("LPMAINT_DAEMON_START", "")
PIDFILE = ENV.get("LPMAINT_DAEMON_PIDFILE", "")
DAEMON_LOG = ENV.get("LPMAINT_DAEMON_LOG", "")
DROPIN = os.path.join(ENV.get("LPMAINT_CONFIG_DROPIN_DIR", ""), "80-faults.conf")
SHIM = os.path.join(BUILD, "tests", "faults", "fault-shim.so")

WORK = os.path.join(SANDBOX, "faults")
ARM = os.path.join(WORK, "armed")
SHIM_LOG = os.path.join(WORK, "shim.log")
TRANSITION_MS = "50"
# Every wait is bounded; these are the bounds (seconds).
OP_TIMEOUT = 4.0
SETTLE_TIMEOUT = 3.0
ROLLBACK_TIMEOUT = 1.5
# After an injection: nothing touched under the state directory for this long ends the
# operation; long enough for lpmaintd to try a failed write again a second later.
QUIET = 1.5
CLI_TIMEOUT = 15.0

MODES_ALL = ("kill", "eio", "enospc")
MODES_WRITE = ("short", "torn")
TEMP_PREFIXES = (".#", ".staging-")
TRANSITIONS = ("loading", "patching", "unpatching")
OUTCOME_ACTIONS = ("apply", "apply-break-glass", "disable", "reapply")
ACCEPT_ACTIONS = ("apply", "apply-break-glass", "disable", "rollback")

RING = "[Daemon]\nRing=canary\n\n[Ring canary]\nSoakSec=3600\n"
WAVE_RING = ("[Daemon]\nRing=canary\n[Ring canary]\nSoakSec=60\nRebootCalendar=*-*-* 02:00\n"
             "RebootWindowSec=3600\nRebootDelaySec=120\n")
FINISH_RING = WAVE_RING + "HealthChecks=ok\n[HealthCheck ok]\nExecStart=/bin/true\n"
TROUBLE = "WARNING: CPU: 1 PID: 42 at kernel/sched/core.c:100 resched_curr+0x1/0x2"


def now_usec():
    return int(time.time() * 1_000_000)


# --- Processes -----------------------------------------------------------------

def run(*cmd, user=None, timeout=CLI_TIMEOUT, env=None):
    if user:
        cmd = ("runuser", "-u", user, "--") + cmd
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or "", f"timed out after {timeout} s")


def lpmaint(*args, user=None, timeout=CLI_TIMEOUT):
    return run("lpmaint", "--no-ask-password", *args, user=user, timeout=timeout)


def lpmaint_json(*args):
    p = lpmaint("--json", *args)
    if p.returncode != 0:
        raise CheckError(f"lpmaint {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


class CheckError(Exception):
    """lpmaintd could not be asked: the remaining checks of a point are moot."""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def daemon_pid():
    """lpmaintd's pid from the sandbox's pid file, if that process is still
    lpmaintd in our mount namespace: a pid the kernel gave to another process
    since is nobody's to signal."""
    try:
        with open(PIDFILE) as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    try:
        same_ns = os.stat(f"/proc/{pid}/ns/mnt").st_ino == os.stat("/proc/self/ns/mnt").st_ino
    except OSError:
        # A process on its way out has left its namespaces before it is a
        # zombie: still lpmaintd, still running for lpmaintd-start.
        same_ns = True
    return pid if comm == "lpmaintd" and same_ns else None


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def stop_daemon(sig=signal.SIGTERM):
    """Stops lpmaintd (SIGTERM, SIGKILL after 10 s) and waits until it is gone."""
    pid = daemon_pid()
    if pid is None or not alive(pid):
        return
    os.kill(pid, sig)
    if not wait_until(lambda: not alive(pid), 10.0):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not alive(pid), 10.0)


LAST_START = {"stderr": ""}


def start_daemon(shim_env=None):
    """Starts lpmaintd, with the shim when @shim_env is given; True once it owns its name."""
    env = dict(ENV)
    env["LPMAINT_SANDBOX_START_TIMEOUT"] = "10"
    if shim_env is not None:
        env.update(shim_env)
        env["LD_PRELOAD"] = SHIM
    p = run(START, env=env, timeout=30)
    LAST_START["stderr"] = p.stderr
    return p.returncode == 0


def daemon_running():
    pid = daemon_pid()
    return pid is not None and alive(pid)


# --- The world: state directory and simulated kernel ----------------------------

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


def kernel_says(line):
    with open(sim_path("sim/kmsg"), "a") as f:
        f.write(line + "\n")


def kernel_view(name):
    lp = sim_path("sys/kernel/livepatch", name)
    present = os.path.isdir(lp)
    return {
        "module_loaded": os.path.exists(sim_path("sys/module", name, "initstate")),
        "present": present,
        "enabled": present and sim_read("sys/kernel/livepatch", name, "enabled") == "1",
        "transition": present and sim_read("sys/kernel/livepatch", name, "transition") == "1",
    }


def kernel_patches():
    try:
        return sorted(os.listdir(sim_path("sys/kernel/livepatch")))
    except FileNotFoundError:
        return []


def set_dropin(text):
    if text is None:
        if os.path.exists(DROPIN):
            os.unlink(DROPIN)
    else:
        with open(DROPIN, "w") as f:
            f.write(text)


def snapshot(name):
    """Saves the state directory and the simulated kernel (lpmaintd stopped)."""
    assert not daemon_running()
    dest = os.path.join(WORK, "snap", name)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(STATE, os.path.join(dest, "state"), symlinks=True)
    shutil.copytree(SIM, os.path.join(dest, "sim"), symlinks=True)


def restore(name):
    assert not daemon_running()
    src = os.path.join(WORK, "snap", name)
    for live, saved in ((STATE, "state"), (SIM, "sim")):
        shutil.rmtree(live)
        shutil.copytree(os.path.join(src, saved), live, symlinks=True)


def simulate_reboot():
    """What a reboot does to the simulated kernel (lpmaintd stopped): no modules, a new boot."""
    for d in ("sys/kernel/livepatch", "sys/module", "sim/modules", "sim/transitions"):
        shutil.rmtree(sim_path(d), ignore_errors=True)
        os.makedirs(sim_path(d))
    sim_write("proc/sys/kernel/tainted", "0")
    sim_write("proc/stat", f"btime {int(time.time())}")
    with open("/proc/sys/kernel/random/uuid") as f:
        sim_write("proc/sys/kernel/random/boot_id", f.read().strip())


def fake_bzimage(path, release):
    """The parts of an x86 boot image's header that name the kernel's release (see test_signals)."""
    image = bytearray(8192)
    image[0x1F1] = 4
    image[0x1FE:0x200] = b"\x55\xaa"
    image[0x202:0x206] = b"HdrS"
    image[0x206:0x208] = (0x020F).to_bytes(2, "little")
    image[0x20E:0x210] = (0x200).to_bytes(2, "little")
    text = f"{release} (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian".encode() + b"\0"
    image[0x400:0x400 + len(text)] = text
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(image)


class Patch:
    """A signed simulated live patch, made by the project's own tools."""

    def __init__(self, name, replace=False):
        self.name = name
        out = os.path.join(WORK, "patches", name)
        os.makedirs(out, exist_ok=True)
        module = os.path.join(out, f"{name}.ko")
        cmd = ["make-sim-module", "--name", name, "--release", RELEASE, "-o", module]
        sign = ["lpmaint-sign", "--key", os.path.join(PKI, "signer.key"), "--cert", os.path.join(PKI, "signer.pem"),
                "--module", module, "--name", name, "--version", "1.0", "--kernel", RELEASE,
                "--output-dir", out, "--cve", "CVE-2026-0001"]
        if replace:
            cmd.append("--replace")
            sign.append("--replace")
        for c in (cmd, sign):
            p = run(*c)
            if p.returncode != 0:
                raise SystemExit(f"faults: {' '.join(c)} failed: {p.stderr}")
        for root, dirs, files in os.walk(WORK):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        self.manifest = os.path.join(out, f"{name}.manifest")

    def apply(self, user=AUTO):
        return lpmaint("apply", self.manifest, user=user)


# --- The system double (systemd and logind) ----------------------------------------

class Double:
    def __init__(self):
        sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
        from system_double import SystemDouble
        self.ctx = SystemDouble(os.path.join(WORK, "system-double"))
        self.d = None

    def __enter__(self):
        self.d = self.ctx.__enter__()
        return self

    def __exit__(self, *exc):
        self.ctx.__exit__(*exc)

    def reset(self, system_state="running"):
        """Nothing scheduled, nothing called, the wave timer fired just now."""
        if self.d.scheduled()[0]:
            run("busctl", "--system", "call", "org.freedesktop.login1", "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager", "CancelScheduledShutdown")
        with open(self.d.calls_path, "w"):
            pass
        self.d.set(inhibitors=[], system_state=system_state)
        self.d.set_unit("lpmaint-reboot-wave.timer", last_trigger_usec=now_usec(),
                        next_elapse_usec=now_usec() + 86400_000_000)

    def scheduled(self):
        return self.d.scheduled()


# --- Invariants -------------------------------------------------------------------

def audit_records():
    return lpmaint_json("history")


def records_for(records, patch):
    return [(r["action"], r["result"]) for r in records if r["patch"] == patch]


def has_record(records, action, result, patch=None):
    return any(r["action"] == action and r["result"] == result and (patch is None or r["patch"] == patch)
               for r in records)


def settled():
    try:
        ps = lpmaint_json("list")
        reapply = run("busctl", "--system", "get-property", "org.lpmaint1", "/org/lpmaint1",
                      "org.lpmaint1.Manager", "BootReapply").stdout.split()
    except CheckError:
        return False
    if any(p["state"] in TRANSITIONS for p in ps):
        return False
    return not (len(reapply) == 2 and reapply[1].strip('"') in ("pending", "running"))


def rolled_back():
    """No failed soak with automatic rollback left applied."""
    try:
        ps = lpmaint_json("list")
    except CheckError:
        return False
    return not any(p["soak_state"] == "failed" and p["state"] == "applied" and p["name"] in ROLLBACK_EXPECTED
                   for p in ps)


ROLLBACK_EXPECTED = set()
# --verbose: after a failing point, what lpmaintd shows of its patches and its audit trail.
VERBOSE = False


def temp_files():
    found = []
    for root, dirs, files in os.walk(STATE):
        for n in dirs + files:
            if n.startswith(TEMP_PREFIXES):
                found.append(os.path.relpath(os.path.join(root, n), STATE))
    return found


def damaged_files():
    found = []
    for root, dirs, files in os.walk(STATE):
        for n in files:
            if n.endswith(".damaged"):
                found.append(os.path.relpath(os.path.join(root, n), STATE))
    return found


def generic_invariants(double):
    """What must hold after any fault and a restart; a list of what does not."""
    bad = []
    if not wait_until(settled, SETTLE_TIMEOUT, 0.05):
        bad.append("settles: a transition or re-apply still running after %.0f s" % SETTLE_TIMEOUT)
    if ROLLBACK_EXPECTED:
        wait_until(rolled_back, ROLLBACK_TIMEOUT, 0.05)
    ps = {p["name"]: p for p in lpmaint_json("list")}

    # Every record matches the kernel, and the kernel has nothing no record knows.
    for name, p in ps.items():
        k = kernel_view(name)
        if p["state"] == "applied" and not (k["enabled"] and not k["transition"]):
            bad.append(f"records match the kernel: {name} is applied, the kernel has {k}")
        elif p["state"] in ("disabled", "superseded", "failed", "absent") and (k["enabled"] or k["module_loaded"]):
            bad.append(f"records match the kernel: {name} is {p['state']}, the kernel has {k}")
    for name in kernel_patches():
        if name not in ps:
            bad.append(f"records match the kernel: the kernel has {name}, no record knows it")

    v = lpmaint("audit", "verify", os.path.join(STATE, "audit.log"))
    if v.returncode != 0:
        bad.append("audit verify: " + (v.stdout + v.stderr).strip().replace("\n", " | ")[:300])

    temps = temp_files()
    if temps:
        bad.append("no temporary files: " + ", ".join(temps))
    damaged = damaged_files()
    if damaged:
        bad.append("no state file set aside as damaged: " + ", ".join(damaged))

    # A transition that finished has its outcome record after its accepted one.
    records = audit_records()
    for name, p in ps.items():
        if p["state"] in TRANSITIONS:
            continue
        pending = None
        for action, result in records_for(records, name):
            if result == "accepted" and action in ACCEPT_ACTIONS:
                pending = action
            elif action in OUTCOME_ACTIONS and result != "accepted":
                # Its outcome, or the record that it was refused after all.
                pending = None
        if pending:
            bad.append(f"outcome recorded: {name}: '{pending}' accepted, no outcome record after it (state {p['state']})")

    # A failed soak with automatic rollback is rolled back.
    for name in ROLLBACK_EXPECTED:
        p = ps.get(name)
        if p and p["soak_state"] == "failed" and p["state"] != "disabled":
            bad.append(f"rollback happens: {name} failed its soak and is {p['state']}")

    if double is not None:
        status = lpmaint_json("reboot", "status")
        kind, usec = double.scheduled()
        if status["scheduled_usec"] != usec:
            bad.append(f"logind and the wave record agree: lpmaintd says {status['scheduled_usec']} "
                       f"({status['wave_state'] or 'no wave'}), logind has {kind or 'nothing'} {usec}")
    return bad, ps, records


# --- Operations --------------------------------------------------------------------

class Operation:
    """One operation of the matrix.

    prepare(): from the empty world with lpmaintd running, reach the state
    before the operation; the matrix then stops lpmaintd and saves the world.
    at_start: the operation is lpmaintd's start itself (armed before it).
    trigger(): does it; returns facts for check(). done(facts): it is over.
    check(facts, ps, records): what must hold for this operation after a
    restart, as a list of what does not."""
    name = ""
    what = ""
    dropin = None
    double = False
    at_start = False
    system_state = "running"
    # The ring (with AutomaticRollback=yes) is still configured after the operation.
    ring_stays = False

    def prepare(self, ctx):
        pass

    def trigger(self, ctx):
        return {}

    def done(self, ctx, facts):
        return True

    def check(self, ctx, facts, ps, records):
        return []


def acked_apply(facts, patch, ps, records, action="apply"):
    bad = []
    out = facts.get("stdout", "")
    if "Verified and loaded" in out:
        if patch.name not in ps:
            bad.append(f"acknowledged apply kept: {patch.name} has no record")
        if not has_record(records, action, "accepted", patch.name):
            bad.append(f"acknowledged apply audited: no '{action} accepted' record for {patch.name}")
    if "Applied." in out:
        state = ps.get(patch.name, {}).get("state")
        if state != "applied":
            bad.append(f"acknowledged apply kept: {patch.name} was reported applied, is {state}")
        if not has_record(records, action, "success", patch.name):
            bad.append(f"finished apply audited: no '{action} success' record for {patch.name}")
    return bad


class Apply(Operation):
    name = "apply"
    what = "apply a patch (lpmaint apply)"

    def trigger(self, ctx):
        p = ctx.a.apply()
        return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        return acked_apply(facts, ctx.a, ps, records)


class Replace(Operation):
    name = "replace"
    what = "apply a cumulative patch over an applied one"

    def prepare(self, ctx):
        ensure(ctx.a.apply(), "apply")

    def trigger(self, ctx):
        p = ctx.b.apply()
        return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = acked_apply(facts, ctx.b, ps, records)
        if ps.get(ctx.b.name, {}).get("state") == "applied" and ps.get(ctx.a.name, {}).get("state") != "superseded":
            bad.append(f"replace complete: {ctx.b.name} applied, {ctx.a.name} is {ps.get(ctx.a.name, {}).get('state')}")
        return bad


class Disable(Operation):
    name = "disable"
    what = "disable an applied patch (lpmaint disable)"

    def prepare(self, ctx):
        ensure(ctx.a.apply(), "apply")

    def trigger(self, ctx):
        p = lpmaint("disable", ctx.a.name, user=AUTO)
        return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = []
        out = facts.get("stdout", "")
        state = ps.get(ctx.a.name, {}).get("state")
        if "Disabling" in out and not has_record(records, "disable", "accepted", ctx.a.name):
            bad.append(f"acknowledged disable audited: no 'disable accepted' record for {ctx.a.name}")
        if "Disabling" in out and state == "applied":
            bad.append(f"acknowledged disable kept: {ctx.a.name} is applied again")
        if "Disabled." in out and state != "disabled":
            bad.append(f"acknowledged disable kept: {ctx.a.name} was reported disabled, is {state}")
        if "Disabled." in out and not has_record(records, "disable", "success", ctx.a.name):
            bad.append(f"finished disable audited: no 'disable success' record for {ctx.a.name}")
        return bad


class SoakStart(Operation):
    name = "soak-start"
    what = "apply a patch in a ring: its soak starts"
    dropin = RING
    ring_stays = True

    def trigger(self, ctx):
        p = ctx.a.apply()
        return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = acked_apply(facts, ctx.a, ps, records)
        p = ps.get(ctx.a.name)
        if p and p["state"] == "applied" and p["soak_state"] != "soaking":
            bad.append(f"soaks go on: {ctx.a.name} is applied in a ring, its soak is '{p['soak_state']}' "
                       f"({p['soak_result']})")
        return bad


class SoakVerdict(Operation):
    name = "soak-verdict"
    what = "a kernel WARNING fails a soak; the patch is rolled back"
    dropin = RING
    ring_stays = True

    def prepare(self, ctx):
        ensure(ctx.a.apply(), "apply")

    def trigger(self, ctx):
        kernel_says(TROUBLE)
        return {}

    def done(self, ctx, facts):
        p = lpmaint_json("list")
        return any(x["name"] == ctx.a.name and x["state"] == "disabled" for x in p)

    def check(self, ctx, facts, ps, records):
        bad = []
        p = ps.get(ctx.a.name, {})
        if p.get("soak_state") != "failed":
            bad.append(f"verdict kept: the kernel logged a WARNING, {ctx.a.name}'s soak is '{p.get('soak_state')}'")
        if p.get("state") != "disabled":
            bad.append(f"rollback happens: {ctx.a.name} failed its soak and is {p.get('state')}")
        if not has_record(records, "soak", "failed", ctx.a.name):
            bad.append(f"verdict audited: no 'soak failed' record for {ctx.a.name}")
        if not has_record(records, "rollback", "accepted", ctx.a.name):
            bad.append(f"rollback audited: no 'rollback accepted' record for {ctx.a.name}")
        return bad


def boot_reapply():
    out = run("busctl", "--system", "get-property", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager",
              "BootReapply").stdout.split()
    return out[1].strip('"') if len(out) == 2 else None


class Reapply(Operation):
    name = "reapply"
    what = "a new boot: lpmaintd applies the patches again"
    at_start = True

    def prepare(self, ctx):
        ensure(ctx.a.apply(), "apply")
        ensure(ctx.c.apply(), "apply")
        stop_daemon()
        simulate_reboot()

    def done(self, ctx, facts):
        return boot_reapply() == "done"

    def check(self, ctx, facts, ps, records):
        # BootReapply is the first start's in a boot; a second start in the
        # same boot has none of its own, so the patches tell.
        bad = []
        for x in (ctx.a, ctx.c):
            p = ps.get(x.name, {})
            if p.get("state") != "applied":
                bad.append(f"re-apply completes: {x.name} is {p.get('state')} ({p.get('result')}: "
                           f"{p.get('result_message')})")
            elif not has_record(records, "reapply", "success", x.name):
                bad.append(f"re-apply audited: no 'reapply success' record for {x.name}")
        return bad


def wave_status():
    return lpmaint_json("reboot", "status")


class WaveSchedule(Operation):
    name = "wave-schedule"
    what = "a reboot wave schedules the reboot with logind (lpmaint reboot wave)"
    dropin = WAVE_RING
    double = True

    def prepare(self, ctx):
        fake_bzimage(sim_path("boot", "vmlinuz-9999"), "9999.0.0-1-amd64")

    def trigger(self, ctx):
        p = lpmaint("--json", "reboot", "wave", user=AUTO)
        return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = []
        if facts.get("rc") == 0:
            status = wave_status()
            try:
                when = json.loads(facts["stdout"])["scheduled_usec"]
            except (ValueError, KeyError):
                when = None
            if status["wave_state"] != "scheduled" or status["scheduled_usec"] != when:
                bad.append(f"acknowledged wave kept: reported scheduled at {when}, the record says "
                           f"'{status['wave_state']}' at {status['scheduled_usec']}")
            if not has_record(records, "reboot-wave", "scheduled"):
                bad.append("acknowledged wave audited: no 'reboot-wave scheduled' record")
        return bad


class WaveFinish(Operation):
    name = "wave-finish"
    what = "back from a planned reboot: health checks pass, the wave closes"
    dropin = FINISH_RING
    double = True
    at_start = True

    def prepare(self, ctx):
        fake_bzimage(sim_path("boot", "vmlinuz-9999"), "9999.0.0-1-amd64")
        p = lpmaint("--json", "reboot", "wave", user=AUTO)
        ensure(p, "reboot wave")
        ctx.double.d.set(system_state="stopping")
        ctx.double.d.set_unit("reboot.target", job_result=None)
        run("busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "StartUnit", "ss", "reboot.target", "replace")
        stop_daemon()
        os.unlink(sim_path("boot", "vmlinuz-9999"))
        simulate_reboot()

    def done(self, ctx, facts):
        return wave_status()["wave_state"] == ""

    def check(self, ctx, facts, ps, records):
        bad = []
        if not wait_until(self._closed, SETTLE_TIMEOUT, 0.05):
            bad.append(f"wave closes: its state is '{wave_status()['wave_state']}'")
        if not has_record(records, "reboot-completed", "success") and not has_record(audit_records(),
                                                                                      "reboot-completed", "success"):
            bad.append("wave closes: no 'reboot-completed success' record")
        prev = lpmaint_json("signals")["boots"][-2]
        if prev["end"] != "planned-reboot":
            bad.append(f"boot end kept: the previous boot ended '{prev['end']}', not planned-reboot")
        return bad

    def _closed(self):
        try:
            return wave_status()["wave_state"] == ""
        except CheckError:
            return False


class Reload(Operation):
    name = "reload"
    what = "a configuration reload that leaves the ring cancels a soak"
    dropin = RING

    def prepare(self, ctx):
        ensure(ctx.a.apply(), "apply")

    def trigger(self, ctx):
        set_dropin(None)
        os.kill(daemon_pid(), signal.SIGHUP)
        return {}

    def done(self, ctx, facts):
        return any(x["name"] == ctx.a.name and x["soak_state"] == "cancelled" for x in lpmaint_json("list"))

    def check(self, ctx, facts, ps, records):
        bad = []
        p = ps.get(ctx.a.name, {})
        if p.get("state") != "applied":
            bad.append(f"reload changes no patch: {ctx.a.name} is {p.get('state')}")
        if p.get("soak_state") == "soaking":
            bad.append(f"reload kept: {ctx.a.name} still soaks in a ring the configuration no longer has")
        elif p.get("soak_state") != "cancelled":
            bad.append(f"reload kept: {ctx.a.name} left its ring, its soak is '{p.get('soak_state')}', not cancelled "
                       f"({p.get('soak_result')})")
        return bad


class AuditDenied(Operation):
    name = "audit-denied"
    what = "an apply denied to an ordinary user is audited before the reply"

    def trigger(self, ctx):
        p = ctx.a.apply(user=OTHER)
        return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = []
        if "AccessDenied" in facts.get("stderr", "") and not has_record(records, "apply", "denied"):
            # A denial cannot wait for the disk (README, lpmaintd(8) AUDIT TRAIL): when the
            # append to audit.log failed, the journal has the denial and lpmaintd names the
            # one the file is missing. Without such a failure a missing record is a bug.
            failed = any(f[0] in ("eio", "enospc") and f[2] == "audit.log" for f in facts.get("fired", ()))
            named = re.search(r"Denial not in the audit log: apply \S+ by uid \d+", facts.get("daemon_log", ""))
            if not failed:
                bad.append("denial audited: the caller was told AccessDenied, no 'apply denied' record "
                           "(and no write to audit.log failed)")
            elif not named:
                bad.append("lost denial logged: the append to audit.log failed, lpmaintd logged no "
                           "'Denial not in the audit log' error naming the apply")
        if ctx.a.name in ps:
            bad.append(f"denied apply changes nothing: {ctx.a.name} has a record")
        return bad


def report_sync(channel, serial, result):
    return run("busctl", "--system", "call", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "ReportSync",
               "a{sv}", "4", "channel", "s", channel, "serial", "t", str(serial), "result", "s", result,
               "message", "s", "reported by the fault matrix", user=AUTO)


def sync_status():
    p = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
            "org.lpmaint1.Manager", "SyncStatus")
    if p.returncode != 0:
        raise CheckError(f"SyncStatus: {p.stderr.strip()}")
    return {k: v["data"] for k, v in json.loads(p.stdout)["data"].items()}


class ReportSync(Operation):
    name = "report-sync"
    what = "lpmaint-sync reports a failed run (ReportSync) after a successful one"

    def prepare(self, ctx):
        ensure(report_sync("https://channel.invalid/a", 7, "ok"), "report-sync")

    def trigger(self, ctx):
        p = report_sync("https://channel.invalid/b", 8, "not-found")
        return {"rc": p.returncode, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = []
        status = sync_status()
        last = (status["LastChannel"], status["LastSerial"], status["LastResult"])
        if facts.get("rc") == 0 and last != ("https://channel.invalid/b", 8, "not-found"):
            bad.append(f"acknowledged report kept: the last report is {last}")
        if last not in (("https://channel.invalid/a", 7, "ok"), ("https://channel.invalid/b", 8, "not-found")):
            bad.append(f"report atomic: the last report is {last}")
        if (status["LastSuccessChannel"], status["LastSuccessSerial"]) != ("https://channel.invalid/a", 7):
            bad.append(f"the last success survives a failed report: {status}")
        return bad


HEALTH_FLAG = os.path.join(WORK, "health-broken")
HEALTH_RING = RING + f"HealthChecks=svc\n[HealthCheck svc]\nExecStart=/bin/sh -c 'test ! -e {HEALTH_FLAG}'\n"


def run_health_checks():
    return run("busctl", "--system", "call", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager",
               "RunHealthChecks", user=AUTO)


def health_checks():
    p = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
            "org.lpmaint1.Signals", "HealthChecks")
    if p.returncode != 0:
        raise CheckError(f"HealthChecks: {p.stderr.strip()}")
    return {c[0]: c[1] for c in json.loads(p.stdout)["data"]}


class HealthChecks(Operation):
    name = "health-checks"
    what = "a run of the ring's health checks (RunHealthChecks) that fails after one that passed"
    dropin = HEALTH_RING

    def prepare(self, ctx):
        if os.path.exists(HEALTH_FLAG):
            os.unlink(HEALTH_FLAG)
        ensure(run_health_checks(), "run-health-checks")

    def trigger(self, ctx):
        open(HEALTH_FLAG, "w").close()
        p = run_health_checks()
        return {"rc": p.returncode, "stderr": p.stderr}

    def check(self, ctx, facts, ps, records):
        bad = []
        checks = health_checks()
        if facts.get("rc") == 0 and checks.get("svc") is not False:
            bad.append(f"answered results kept: the caller was told svc failed, after a restart it is {checks}")
        if checks.get("svc") not in (True, False):
            bad.append(f"results atomic: svc's last result is {checks} (the passed one or the failed one)")
        if facts.get("rc") == 0 and not has_record(records, "run-health-checks", "failed"):
            bad.append("answered run audited: no 'run-health-checks failed' record")
        return bad


OPERATIONS = [Apply(), Replace(), Disable(), SoakStart(), SoakVerdict(), Reapply(), WaveSchedule(),
              WaveFinish(), Reload(), AuditDenied(), ReportSync(), HealthChecks()]


def ensure(p, what):
    if p.returncode != 0:
        raise SystemExit(f"faults: preparing: {what} failed ({p.returncode}): {p.stdout}{p.stderr}")


# --- The matrix -----------------------------------------------------------------------

class Context:
    def __init__(self, double):
        self.double = double
        self.a = Patch("lp_fault_a")
        self.b = Patch("lp_fault_b", replace=True)
        self.c = Patch("lp_fault_c")


def read_shim_log():
    try:
        with open(SHIM_LOG) as f:
            return [line.rstrip("\n").split("\t") for line in f]
    except FileNotFoundError:
        return []


def begin(op, ctx):
    """The world before @op, lpmaintd stopped."""
    stop_daemon()
    restore(op.name)
    set_dropin(op.dropin)
    if ctx.double is not None:
        ctx.double.reset(op.system_state)
    for path in (ARM, SHIM_LOG):
        if os.path.exists(path):
            os.unlink(path)


def run_op(op, ctx, point=None, mode=None):
    """Runs @op once with the shim (tracing, or injecting @mode at @point);
    returns (facts, fired, shim log)."""
    begin(op, ctx)
    shim_env = {"LPMAINT_FAULT_PREFIX": STATE, "LPMAINT_FAULT_LOG": SHIM_LOG, "LPMAINT_FAULT_ARM": ARM}
    if point:
        shim_env["LPMAINT_FAULT_POINT"] = " ".join(point)
        shim_env["LPMAINT_FAULT_ACTION"] = mode
    facts = {}
    log_from = os.path.getsize(DAEMON_LOG) if DAEMON_LOG and os.path.exists(DAEMON_LOG) else 0
    if op.at_start:
        open(ARM, "w").close()
        started = start_daemon(shim_env)
    else:
        started = start_daemon(shim_env)
        if started:
            open(ARM, "w").close()
    if started:
        facts = op.trigger(ctx)
    facts["started"] = started

    quiet = {"size": -1, "since": time.monotonic()}

    def over():
        if not daemon_running():
            return True
        try:
            if op.done(ctx, facts):
                return True
        except CheckError:
            return not daemon_running()
        # After an injection the operation may never get to its end: once
        # lpmaintd has touched nothing under its state directory for a while,
        # it is as far as it goes.
        size = os.path.getsize(SHIM_LOG) if os.path.exists(SHIM_LOG) else 0
        if size != quiet["size"]:
            quiet["size"], quiet["since"] = size, time.monotonic()
            return False
        return point is not None and time.monotonic() - quiet["since"] >= QUIET and fired_in(read_shim_log())
    facts["done"] = wait_until(over, OP_TIMEOUT, 0.03)
    if os.path.exists(ARM):
        os.unlink(ARM)
    log = read_shim_log()
    # What was injected (action, call, path, occurrence) and what lpmaintd said meanwhile,
    # for the checks that accept a loss only when the disk really failed.
    facts["fired"] = [tuple(e[1:]) for e in log if e[0] == "fired"]
    facts["daemon_log"] = ""
    if DAEMON_LOG and os.path.exists(DAEMON_LOG):
        with open(DAEMON_LOG, errors="replace") as f:
            f.seek(log_from)
            facts["daemon_log"] = f.read()
    return facts, fired_in(log), log


def fired_in(log):
    return any(e[0] == "fired" for e in log)


def after(op, ctx, facts):
    """Restarts lpmaintd without injection and checks; a list of what does not hold."""
    stop_daemon()
    if not start_daemon():
        lines = [x for x in LAST_START["stderr"].strip().splitlines() if x.startswith(("lpmaintd-start", "<"))]
        return ["lpmaintd owns its bus name: it does not start after the fault: " + " | ".join(lines[-4:])[:600]]
    try:
        bad, ps, records = generic_invariants(ctx.double if op.double else None)
        bad += op.check(ctx, facts, ps, records)
        if bad and VERBOSE:
            for name, p in sorted(ps.items()):
                print(f"#   {name}: {p['state']} ({p['operation']} {p['result']}), soak '{p['soak_state']}'", flush=True)
            print("#   audit: " + ", ".join(f"{r['action']} {r['patch'] or '-'} {r['result']}" for r in records),
                  flush=True)
    except CheckError as e:
        bad = [f"lpmaintd answers: {e}"]
    if not daemon_running():
        bad.append("lpmaintd owns its bus name: it died during the checks")
    return list(dict.fromkeys(bad))


def polkit_running():
    return run("busctl", "--system", "status", "org.freedesktop.PolicyKit1").returncode == 0


def prepare(op, ctx, pristine):
    if not polkit_running():
        raise SystemExit(f"faults: {op.name}: polkitd is gone from the sandbox's bus; see "
                         f"{os.path.join(SANDBOX, 'polkitd.log')}")
    stop_daemon()
    restore(pristine)
    set_dropin(op.dropin)
    if ctx.double is not None:
        ctx.double.reset()
    if not start_daemon():
        raise SystemExit(f"faults: {op.name}: lpmaintd does not start on the empty world")
    # The audit log exists before the operation, as on any host that ever
    # answered a change: a refused call is its first record.
    if lpmaint("reboot", "cancel", user=OTHER).returncode == 0:
        raise SystemExit(f"faults: {op.name}: an ordinary user may cancel reboots")
    if op.dropin:
        # The ring (and its calendar) in effect before anything is done in it.
        want = op.dropin
        wait_until(lambda: "Ring=canary" not in want or lpmaint_json("ring")["ring"] == "canary", 10.0)
    op.prepare(ctx)
    stop_daemon()
    snapshot(op.name)


def points_of(log):
    """The distinct points of a trace, in order, each with its modes."""
    seen, points = set(), []
    for e in log:
        if e[0] != "call":
            continue
        point = (e[1], e[2], e[3])
        if point in seen:
            continue
        seen.add(point)
        modes = MODES_ALL + (MODES_WRITE if e[1] == "write" else ())
        points.append((point, modes))
    return points


def fmt_point(point):
    return f"{point[0]} {point[1]} #{point[2]}"


def main():
    ap = argparse.ArgumentParser(
        prog="tests/faults/run", description=__doc__.split("\n\n")[0],
        epilog="operations: " + "; ".join(f"{op.name} ({op.what})" for op in OPERATIONS) +
        ". Run inside tools/sandbox: LPMAINT_BUILD_DIR=$PWD/build tools/sandbox run -- tests/faults/run")
    ap.add_argument("--only", metavar="OPERATION", action="append",
                    help="run only this operation (repeatable); see --list")
    ap.add_argument("--list", action="store_true", help="trace each operation and list its points, inject nothing")
    ap.add_argument("--mode", action="append", choices=MODES_ALL + MODES_WRITE, help="only these modes")
    ap.add_argument("--point", metavar="SUBSTRING", help="only points whose 'call path #occurrence' contains it")
    ap.add_argument("--verbose", action="store_true",
                    help="after a failing point, print the patches and the audit trail lpmaintd shows")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose

    if not SANDBOX or not START:
        print("faults: run inside tools/sandbox: LPMAINT_BUILD_DIR=... tools/sandbox run -- tests/faults/run",
              file=sys.stderr)
        return 2
    if not os.path.exists(SHIM):
        print(f"faults: {SHIM} is not built (meson compile with -Dtests=true)", file=sys.stderr)
        return 2
    names = [op.name for op in OPERATIONS]
    for o in args.only or ():
        if o not in names:
            print(f"faults: unknown operation '{o}'; the operations are: {', '.join(names)}", file=sys.stderr)
            return 2
    ops = [op for op in OPERATIONS if not args.only or op.name in args.only]

    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    os.chmod(WORK, 0o755)
    sim_write("sim/transition-ms", TRANSITION_MS)
    stop_daemon()
    snapshot("pristine")

    passed = failed = total_points = 0
    need_double = any(op.double for op in ops)
    double = Double().__enter__() if need_double else None
    try:
        ctx = Context(double)
        for op in ops:
            ROLLBACK_EXPECTED.clear()
            if op.ring_stays:
                ROLLBACK_EXPECTED.add(ctx.a.name)
            try:
                prepare(op, ctx, "pristine")
            except SystemExit as e:
                failed += 1
                print(f"not ok {op.name} (preparing) - {e}", flush=True)
                continue
            facts, _, log = run_op(op, ctx)
            points = points_of(log)
            baseline = after(op, ctx, facts)
            if not facts.get("done"):
                baseline.append("the operation did not finish without a fault")
            total_points += sum(len(m) for _, m in points)
            print(f"# {op.name}: {op.what}: {len(points)} calls traced", flush=True)
            if args.list:
                for point, modes in points:
                    print(f"{op.name}\t{fmt_point(point)}\t{','.join(modes)}", flush=True)
                if baseline:
                    print(f"# {op.name}: without a fault: " + "; ".join(baseline), flush=True)
                continue
            if baseline:
                failed += 1
                print(f"not ok {op.name} (no fault) - " + "; ".join(baseline), flush=True)
                continue
            for point, modes in points:
                if args.point and args.point not in fmt_point(point):
                    continue
                for mode in modes:
                    if args.mode and mode not in args.mode:
                        continue
                    facts, fired, _ = run_op(op, ctx, point, mode)
                    bad = [] if fired else ["injection fired: the point was not reached (harness)"]
                    bad += after(op, ctx, facts)
                    line = f"{op.name} {fmt_point(point)} {mode}"
                    if bad:
                        failed += 1
                        print(f"not ok {line} - " + "; ".join(bad), flush=True)
                    else:
                        passed += 1
                        print(f"ok {line}", flush=True)
    finally:
        stop_daemon()
        if double is not None:
            double.__exit__(None, None, None)
        # Leave lpmaintd as the sandbox had it: running, on its world as it was.
        restore("pristine")
        set_dropin(None)
        start_daemon()

    print(f"# {total_points} injection points (operation, call, path, occurrence, mode) in {len(ops)} "
          f"operations, {time.monotonic() - started:.0f} s", flush=True)
    if args.list:
        return 0
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
