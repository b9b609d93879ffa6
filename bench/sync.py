# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/run's figures for lpmaint-sync, the pull agent: a channel made with
lpmaint-channel, served by a real nginx with TLS on 127.0.0.1
(tests/pylib/loopback_nginx.py, as tests/integration/test_sync.py uses it),
the agent run as the automation identity against the sandbox's lpmaintd.

  - an agent run against an unchanged channel: requests, body bytes and CPU
    time, beside curl making the same conditional request and `lpmaint status`;
  - the index bytes a host fetches with 1 and with 100 kernels in the channel;
  - lpmaint-channel promote to the patch applied by `lpmaint-sync run`, beside
    `lpmaint apply` of files made the same way.
"""
import grp
import json
import os
import pwd
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_sandbox import (AUTO, AUTO_GROUP, BUILD, CONFIG_DROPIN_DIR, PKI, RELEASE, REPO, SANDBOX, SIM, daemon_pid,
                           patch_state, signed_patch)

sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
from loopback_nginx import NGINX, Nginx, make_pki  # noqa: E402

SYNC = os.path.join(BUILD, "sync", "lpmaint-sync")
CHANNEL_TOOL = os.path.join(BUILD, "tools", "lpmaint-channel")
TRUST = os.environ["LPMAINT_TRUST_DIR"]
INDEX_SIGNER = "lpmaint test intermediate signer"
DROPIN = os.path.join(CONFIG_DROPIN_DIR, "90-bench-sync.conf")
UNCHANGED_RUNS = 20
LATENCY_RUNS = 5
OTHER_KERNELS = 99

# Loopback only: no proxy from the environment applies.
CLIENT_ENV = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
CLIENT_ENV["no_proxy"] = "*"
CLIENT_ENV["LC_ALL"] = "C"

SERVER = """
    server {{
        listen 127.0.0.1:{https} ssl;
        ssl_certificate {pki}/server.pem;
        ssl_certificate_key {pki}/server.key;
        root {www};
    }}
"""

# nginx's default (combined) log line: ... "GET /path HTTP/1.1" STATUS BODY_BYTES ...
ACCESS = re.compile(r'"[A-Z]+ (\S+) [^"]*" (\d{3}) (\d+) ')


def as_automation(cmd, **kw):
    """@cmd as the automation identity, its CPU time (user + system, ms) from
    the children's rusage (runuser would add its own PAM session's)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, user=pwd.getpwnam(AUTO).pw_uid, group=grp.getgrnam(AUTO_GROUP).gr_gid,
                       extra_groups=[grp.getgrnam(AUTO_GROUP).gr_gid], env=CLIENT_ENV, capture_output=True,
                       text=True, timeout=120, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return p, cpu


def public(path):
    """nginx's workers and the automation identity read what the bench wrote as root."""
    for root, dirs, files in os.walk(path):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    os.chmod(path, 0o755)


class Bench:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="bench-sync-", dir=SANDBOX)
        self.pki = make_pki(os.path.join(self.tmp, "pki"))
        self.www = os.path.join(self.tmp, "www")
        os.makedirs(self.www)
        public(self.tmp)
        self.nginx = Nginx(os.path.join(self.tmp, "nginx"), SERVER, ("https",), pki=self.pki, www=self.www)
        self.channel = os.path.join(self.www, "channel")
        self.url = self.nginx.url("/channel")
        self.state = os.path.join(self.tmp, "agent-state")
        try:
            os.makedirs(self.state, mode=0o700)
            shutil.chown(self.state, AUTO)
            self.tool("init", self.channel, key=False)
        except BaseException:
            self.stop()
            raise

    def tool(self, *args, key=True):
        cmd = [CHANNEL_TOOL, "-C", self.channel, "--trust-dir", TRUST]
        if key:
            cmd += ["--key", os.path.join(PKI, "inter-signer.key"), "--cert", os.path.join(PKI, "inter-signer.pem"),
                    "--chain", os.path.join(PKI, "inter-ca.pem")]
        subprocess.run(cmd + list(args), check=True, stdout=subprocess.DEVNULL)
        public(self.channel)

    def configure(self):
        with open(DROPIN, "w") as f:
            f.write(f"[Sync]\nChannels={self.url}\nCAFile={self.pki}/ca.pem\nIndexSigners={INDEX_SIGNER}\n")
        os.kill(daemon_pid(), signal.SIGHUP)
        for _ in range(200):
            p = subprocess.run(["busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
                                "org.lpmaint1.Manager", "SyncConfiguration"], capture_output=True, text=True)
            if p.returncode == 0 and json.loads(p.stdout)["data"]["Channels"]["data"] == [self.url]:
                return
            time.sleep(0.05)
        raise SystemExit("lpmaintd did not take the bench's [Sync]")

    def agent(self, *args, state=None):
        """One `lpmaint-sync run --json`: (its JSON, CPU ms, nginx's log lines of it)."""
        logged = len(self.nginx.access_log())
        p, cpu = as_automation([SYNC, "run", "--json", "--state-dir", state or self.state, *args])
        out = json.loads(p.stdout)
        if out["channels"][0]["result"] not in ("ok", "unchanged"):
            raise SystemExit(f"lpmaint-sync run: {out['channels'][0]}")
        return out, cpu, self.nginx.access_log()[logged:]

    def index_url(self):
        return f"{self.url}/kernels/{RELEASE}/index"

    def etag(self):
        p = subprocess.run(["curl", "-sS", "--noproxy", "*", "--cacert", os.path.join(self.pki, "ca.pem"), "-o",
                            os.devnull, "-D", "-", self.index_url()], check=True, capture_output=True, text=True)
        return next(line.split(":", 1)[1].strip() for line in p.stdout.splitlines()
                    if line.lower().startswith("etag:"))

    def stop(self):
        if os.path.exists(DROPIN):
            os.unlink(DROPIN)
            os.kill(daemon_pid(), signal.SIGHUP)
        self.nginx.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def index_bytes(b):
    """A first fetch (a dry run with no state: index and signature, no artifacts)."""
    fresh = os.path.join(b.tmp, "fresh-state")  # never made: the dry run finds no record
    out, _, lines = b.agent("--dry-run", state=fresh)
    if any(f"/kernels/{RELEASE}/" not in m.group(1) for m in map(ACCESS.search, lines)):
        raise SystemExit(f"the agent fetched another kernel's files: {lines}")
    return out["requests"], out["body_bytes"]


def channel_index_bytes(b):
    """All kernels' indexes and signatures in the channel, what a host would fetch without per-kernel indexes."""
    total = 0
    for root, _, files in os.walk(os.path.join(b.channel, "kernels")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def unchanged_figures(b):
    b.agent()  # whatever is new is applied; the next runs find the channel unchanged
    etag = b.etag()
    curl = ["curl", "-sS", "--noproxy", "*", "--cacert", os.path.join(b.pki, "ca.pem"), "-o", os.devnull,
            "-H", f"If-None-Match: {etag}", b.index_url()]
    agent_cpu, curl_cpu, status_cpu, requests, body, logged = [], [], [], set(), set(), set()
    # Alternate the three, so that load from elsewhere on the machine falls on all alike.
    for _ in range(UNCHANGED_RUNS):
        out, cpu, lines = b.agent()
        if out["channels"][0]["result"] != "unchanged":
            raise SystemExit(f"the channel changed under the bench: {out}")
        agent_cpu.append(cpu)
        requests.add(out["requests"])
        body.add(out["body_bytes"])
        logged.add(" ".join(f"{m.group(2)}/{m.group(3)}" for m in map(ACCESS.search, lines)))
        curl_cpu.append(as_automation(curl)[1])
        status_cpu.append(as_automation(["lpmaint", "status"])[1])
    agent, base = statistics.median(agent_cpu), statistics.median(curl_cpu)
    print(f"  lpmaint-sync run, unchanged channel, {UNCHANGED_RUNS} runs: requests {'/'.join(map(str, sorted(requests)))}, "
          f"body bytes {'/'.join(map(str, sorted(body)))}   (target 1, 0; nginx logged status/bytes {', '.join(sorted(logged))})")
    print(f"  its CPU time (user+sys), median:              {agent:8.2f} ms   (target < 20 ms)")
    print(f"    baseline curl, the same conditional GET:    {base:8.2f} ms   ratio {agent / base:.2f}x; "
          f"lpmaint status {statistics.median(status_cpu):.2f} ms")


def latency_figures(b):
    """Promote to applied through the agent, beside a direct apply; each sample a patch of its own."""
    channel = [signed_patch(f"bench_sync_{i}") for i in range(LATENCY_RUNS)]
    direct = [signed_patch(f"bench_direct_{i}") for i in range(LATENCY_RUNS)]
    b.tool("add", *channel)
    b.agent()  # the index with the patches not promoted yet: nothing to apply
    transition = os.path.join(SIM, "sim", "transition-ms")
    try:
        with open(transition) as f:
            was = f.read()
    except FileNotFoundError:
        was = None  # the simulated kernel's default
    with open(transition, "w") as f:
        f.write("0\n")  # what lpmaint adds, not a simulated kernel's wait
    try:
        promoted, agent, applied = [], [], []
        for i in range(LATENCY_RUNS):
            t0 = time.perf_counter()
            as_automation(["lpmaint", "apply", direct[i]])
            applied.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            b.tool("--ring", "*", "promote", f"bench_sync_{i}")
            t1 = time.perf_counter()
            out, _, _ = b.agent()
            promoted.append((time.perf_counter() - t0) * 1000)
            agent.append((time.perf_counter() - t1) * 1000)
            if out["channels"][0]["applied"] != 1:
                raise SystemExit(f"the agent did not apply bench_sync_{i}: {out}")
            for name in (f"bench_sync_{i}", f"bench_direct_{i}"):
                if patch_state(name) != "applied":
                    raise SystemExit(f"{name} is {patch_state(name)}, not applied")
    finally:
        if was is None:
            os.unlink(transition)
        else:
            with open(transition, "w") as f:
                f.write(was)
    p, a = statistics.median(promoted), statistics.median(applied)
    print(f"  promote to applied by lpmaint-sync run, median of {LATENCY_RUNS}: {p:.2f} ms   "
          f"(of which the agent {statistics.median(agent):.1f} ms; simulated transition 0 ms)")
    print(f"    baseline lpmaint apply, files made alike:   {a:8.2f} ms   ratio {p / a:.2f}x")


def figures():
    if not NGINX:
        print("  lpmaint-sync: skipped, nginx is not installed (apt-get install nginx)")
        return
    t0 = time.monotonic()
    b = Bench()
    try:
        b.tool("add", signed_patch("bench_sync_host"))
        b.tool("--ring", "*", "promote", "bench_sync_host")
        b.configure()
        one, channel_one = index_bytes(b), channel_index_bytes(b)
        b.tool("add", *[signed_patch("bench_sync_fleet", release=f"{RELEASE}-bench{k:03d}")
                        for k in range(OTHER_KERNELS)])
        b.tool("--ring", "*", "promote", "bench_sync_fleet")
        many, channel_many = index_bytes(b), channel_index_bytes(b)
        print(f"  index bytes a host fetches, 1 kernel:         {one[1]:8d} B in {one[0]} requests")
        print(f"  index bytes a host fetches, {OTHER_KERNELS + 1} kernels:      {many[1]:8d} B in {many[0]} requests   "
              f"(target: the same; all kernels' indexes and signatures {channel_one} -> {channel_many} B)")
        unchanged_figures(b)
        latency_figures(b)
    finally:
        b.stop()
    print(f"  (lpmaint-sync figures took {time.monotonic() - t0:.0f} s)")
