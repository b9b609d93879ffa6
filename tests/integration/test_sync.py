# SPDX-License-Identifier: LGPL-2.1-or-later
"""lpmaint-sync run, the pull agent, against a real nginx with TLS on
127.0.0.1 (tests/pylib/loopback_nginx.py) serving channels made with
lpmaint-channel from patches made as the other tests make them. The agent
runs as the automation identity, with a state directory of its own per
test; lpmaintd reads [Sync] from the tests' configuration drop-in.

Every refusal is checked for its named error and for changing nothing: the
patches lpmaintd has, and the agent's record of the channel.
"""

import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time

import pytest

from conftest import (AUTO, ENV, OTHER, PKI, RELEASE, SANDBOX, lpmaint, patches, run, unique, wait_for,
                      write_dropin)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from loopback_nginx import NGINX, Nginx, ShortBodyServer, free_port, make_pki  # noqa: E402

SYNC = os.path.join(ENV.get("LPMAINT_BUILD_DIR", ""), "sync", "lpmaint-sync")
CHANNEL_TOOL = os.path.join(ENV.get("LPMAINT_BUILD_DIR", ""), "tools", "lpmaint-channel")
TRUST = ENV.get("LPMAINT_TRUST_DIR", "")
INDEX_SIGNER = "lpmaint test intermediate signer"
OTHER_KERNEL = "6.1.0-lpmaint-sync-other"

# Nothing here may leave the host: no proxy from the environment applies.
CLIENT_ENV = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
CLIENT_ENV["no_proxy"] = "*"
CLIENT_ENV["LC_ALL"] = "C"

SERVERS = """
    server {{
        listen 127.0.0.1:{https} ssl;
        ssl_certificate {pki}/server.pem;
        ssl_certificate_key {pki}/server.key;
        root {www};
        location /error-500/ {{ return 500; }}
        location /redirect-http/ {{
            rewrite ^/redirect-http/(.*)$ http://127.0.0.1:{http}/$1 redirect;
        }}
        location /truncated/ {{
            proxy_pass http://127.0.0.1:{short};
            proxy_buffering off;
        }}
    }}
    server {{
        listen 127.0.0.1:{http};
        root {www};
    }}
"""


class Server:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="lpmaint-sync-nginx-", dir=SANDBOX)
        os.chmod(self.tmp, 0o755)
        self.pki = make_pki(os.path.join(self.tmp, "pki"))
        os.chmod(self.pki, 0o755)
        self.www = os.path.join(self.tmp, "www")
        os.makedirs(self.www)
        os.chmod(self.www, 0o755)
        self.short = ShortBodyServer(1000, 100000)
        try:
            self.nginx = Nginx(os.path.join(self.tmp, "nginx"), SERVERS, ("https", "http"),
                               pki=self.pki, www=self.www, short=self.short.port)
        except Exception:
            self.short.stop()
            raise

    def url(self, path, server="https"):
        return self.nginx.url(path, server)

    def stop(self):
        self.nginx.stop()
        self.short.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    if not NGINX:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    s = Server()
    yield s
    s.stop()


class Channel:
    """A channel directory under nginx's root, published with lpmaint-channel."""

    def __init__(self, server, name):
        self.server = server
        self.dir = os.path.join(server.www, name)
        self.url = server.url("/" + name)
        self.tool("init", self.dir, key=False)

    def tool(self, *args, key=True, check=True):
        cmd = [CHANNEL_TOOL, "-C", self.dir, "--trust-dir", TRUST]
        if key:
            cmd += ["--key", os.path.join(PKI, "inter-signer.key"), "--cert", os.path.join(PKI, "inter-signer.pem"),
                    "--chain", os.path.join(PKI, "inter-ca.pem")]
        p = run(*cmd, *args, check=check)
        for root, dirs, files in os.walk(self.dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        return p

    def publish(self, artifacts, ring="*"):
        self.tool("add", artifacts.manifest)
        self.tool("--ring", ring, "promote", artifacts.name)

    def index_path(self, kernel=RELEASE):
        return os.path.join(self.dir, "kernels", kernel, "index")

    def read_index(self, kernel=RELEASE):
        with open(self.index_path(kernel), "rb") as f:
            return f.read()

    def signature_path(self, data, kernel=RELEASE):
        return os.path.join(self.dir, "kernels", kernel, "signatures", hashlib.sha256(data).hexdigest() + ".p7s")

    def put_index(self, data, signature=None, signer="inter-signer"):
        """Publishes @data as this kernel's index, with @signature or one made
        by @signer (openssl cms, as lpmaint-channel would)."""
        sig_path = self.signature_path(data)
        tmp = self.index_path() + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        if signature is None:
            cmd = ["openssl", "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-in", tmp,
                   "-signer", os.path.join(PKI, f"{signer}.pem"), "-inkey", os.path.join(PKI, f"{signer}.key"),
                   "-out", sig_path]
            if signer.startswith("inter-"):
                cmd += ["-certfile", os.path.join(PKI, "inter-ca.pem")]
            run(*cmd, check=True)
        else:
            with open(sig_path, "wb") as f:
                f.write(signature)
        os.chmod(sig_path, 0o644)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.index_path())

    def artifact(self, name, version, suffix):
        return os.path.join(self.dir, "patches", RELEASE, name, version, name + suffix)


@pytest.fixture
def channel(server):
    return Channel(server, unique("ch"))


@pytest.fixture
def state():
    d = tempfile.mkdtemp(prefix="lpmaint-sync-state-", dir=SANDBOX)
    shutil.chown(d, AUTO)
    os.chmod(d, 0o700)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def sync_config():
    p = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
            "org.lpmaint1.Manager", "SyncConfiguration", check=True)
    return {k: v["data"] for k, v in json.loads(p.stdout)["data"].items()}


def sync_status():
    p = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
            "org.lpmaint1.Manager", "SyncStatus", check=True)
    return {k: v["data"] for k, v in json.loads(p.stdout)["data"].items()}


def configure(server, *channels, extra="", ca="ca.pem"):
    text = "[Sync]\nChannels=" + " ".join(channels) + "\n"
    text += f"CAFile={server.pki}/{ca}\nIndexSigners={INDEX_SIGNER}\nTimeoutSec=20\nConnectTimeoutSec=5\n" + extra
    write_dropin(text)
    wait_for(lambda: sync_config()["Channels"] == list(channels), what="lpmaintd took [Sync]")


@pytest.fixture
def sync_dropin(dropin):
    """configure() through the tests' drop-in, removed afterwards (dropin)."""
    return configure


def agent(state, *args):
    return run(SYNC, "run", "--state-dir", state, *args, user=AUTO, env=CLIENT_ENV, timeout=120)


def agent_json(state, *args):
    p = agent(state, "--json", *args)
    return p, json.loads(p.stdout)


def agent_ok(state, *args):
    p = agent(state, *args)
    assert p.returncode == 0, f"stdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def agent_record(state):
    """The agent's record of every channel, file by file."""
    out = {}
    for root, dirs, files in os.walk(state):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                out[os.path.relpath(os.path.join(root, f), state)] = fh.read()
    return out


def patch_property(name, prop):
    p = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", f"/org/lpmaint1/patch/{name}",
            "org.lpmaint1.Patch", prop, check=True)
    return json.loads(p.stdout)["data"]


def view(names):
    """What lpmaintd has of @names: (state, version) each."""
    ps = patches()
    return {n: (ps[n]["state"], ps[n]["version"]) if n in ps else None for n in names}


# ---- what the agent does


def test_applies_new_then_cumulative(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)

    p = agent_ok(state)
    assert "1 applied" in p.stdout
    assert view([a.name]) == {a.name: ("applied", "1.0")}
    serial = int(channel.read_index().split(b"Serial=")[1].split(b"\n")[0])
    assert patch_property(a.name, "Source") == f"{channel.url} serial {serial}"
    records = [r for r in lpmaint_history(a.name) if r["action"] == "apply" and r["result"] == "accepted"]
    assert records and f"from {channel.url} serial {serial}" in records[-1]["message"]
    # The cache is private to the agent.
    assert os.stat(os.path.join(state, "cache")).st_mode & 0o777 == 0o700

    # The next cumulative patch replaces it.
    c = make_patch(name=unique("lp_cumulative"), version="2.0", replace=True)
    channel.publish(c)
    agent_ok(state)
    assert view([a.name, c.name]) == {a.name: ("superseded", "1.0"), c.name: ("applied", "2.0")}
    status = sync_status()
    assert status["LastResult"] == "ok" and status["LastSuccessSerial"] > serial
    out = lpmaint("status").stdout
    assert f"Channel: {channel.url}" in out and "Last sync:" in out and "Serial:" in out
    assert lpmaint("disable", c.name, user=AUTO).returncode == 0
    wait_for(lambda: view([c.name])[c.name][0] == "disabled", what="disabled")


def lpmaint_history(name):
    p = lpmaint("--json", "history", f"--patch={name}")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_disables_a_recalled_patch(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    agent_ok(state)
    assert view([a.name]) == {a.name: ("applied", "1.0")}

    channel.tool("--reason", "breaks the frobnicator", "recall", a.name, "1.0")
    p, out = agent_json(state)
    assert p.returncode == 0, p.stderr
    assert out["channels"][0]["disabled"] == 1
    assert any(d["action"] == "disable" and d["reason"] == "recalled" for d in out["channels"][0]["decisions"])
    assert view([a.name]) == {a.name: ("disabled", "1.0")}


def test_nothing_for_a_ring_not_promoted_to(server, channel, state, dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a, ring="wave2")
    configure(server, channel.url, extra="\n[Daemon]\nRing=wave1\n\n[Ring wave1]\nSoakSec=0\n")
    wait_for(lambda: json.loads(lpmaint("--json", "ring").stdout)["ring"] == "wave1", what="ring wave1")

    p, out = agent_json(state)
    assert p.returncode == 0, p.stderr
    assert out["ring"] == "wave1"
    assert [(d["action"], d["reason"]) for d in out["channels"][0]["decisions"]] == [("nothing", "not-promoted")]
    assert view([a.name]) == {a.name: None}

    channel.tool("--ring", "wave1", "promote", a.name)
    agent_ok(state)
    assert view([a.name]) == {a.name: ("applied", "1.0")}
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")


def test_never_reapplies_what_a_person_disabled(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    agent_ok(state)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")

    p, out = agent_json(state)
    assert p.returncode == 0, p.stderr
    assert [(d["action"], d["reason"]) for d in out["channels"][0]["decisions"]] == [("nothing", "disabled-here")]
    assert view([a.name]) == {a.name: ("disabled", "1.0")}


def test_unchanged_channel_is_one_request_and_a_304(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    agent_ok(state)
    # A file no index lists (an old version's) is dropped from the cache by a run.
    stray = os.path.join(state, "cache", "0" * 64)
    with open(stray, "wb") as f:
        f.write(b"old")
    before = len(server.nginx.access_log())

    p, out = agent_json(state)
    assert p.returncode == 0, p.stderr
    assert out["channels"][0]["result"] == "unchanged"
    assert (out["requests"], out["body_bytes"]) == (1, 0)
    lines = server.nginx.access_log()[before:]
    assert len(lines) == 1, lines
    assert "/index " in lines[0] and '" 304 ' in lines[0]
    assert sync_status()["LastResult"] == "unchanged"
    assert not os.path.exists(stray)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")


def test_directory_channel(server, state, sync_dropin, make_patch, workdir):
    ch = Channel.__new__(Channel)
    ch.server = server
    ch.dir = os.path.join(workdir, unique("dirch"))
    ch.url = "file://" + ch.dir
    ch.tool("init", ch.dir, key=False)
    a = make_patch(version="1.0")
    ch.publish(a)
    sync_dropin(server, ch.url)
    agent_ok(state)
    assert view([a.name]) == {a.name: ("applied", "1.0")}
    assert patch_property(a.name, "Source").startswith(ch.url + " serial ")
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")


def test_dry_run_changes_nothing(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    status_before = sync_status()

    p = agent(state, "--dry-run")
    assert p.returncode == 0, p.stderr
    assert f"would apply {a.name} 1.0" in p.stdout
    p, out = agent_json(state, "--dry-run")
    assert out["dry_run"] is True
    assert [(d["action"], d["name"]) for d in out["channels"][0]["decisions"]] == [("apply", a.name)]
    assert view([a.name]) == {a.name: None}
    assert agent_record(state) == {}
    assert sync_status() == status_before


# ---- bad input: its named error, and nothing changes


def assert_cache_is_clean(state):
    """Every file in the agent's cache is what its name (a SHA-256) says."""
    cache = os.path.join(state, "cache")
    for name in os.listdir(cache):
        with open(os.path.join(cache, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == name


def assert_refused(state, error, names, index_verified=False):
    """A run refused with @error changes no patch; unless the index itself
    verified (an artifact was refused: its signed serial is kept, so an
    older index cannot be replayed later), not the agent's record either."""
    before_patches = view(names)
    before_record = agent_record(state)
    p = agent(state)
    assert p.returncode == 1, f"stdout: {p.stdout}\nstderr: {p.stderr}"
    assert error in p.stderr, p.stderr
    assert view(names) == before_patches
    if not index_verified:
        assert agent_record(state) == before_record
    assert_cache_is_clean(state)
    assert sync_status()["LastResult"] == error
    return p


@pytest.fixture
def published(server, channel, state, sync_dropin, make_patch):
    """A channel the agent synced once (its patch applied, then disabled by
    a person) with a second patch published since, not yet fetched."""
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    agent_ok(state)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")
    b = make_patch(version="1.0")
    channel.publish(b)
    return channel, [a.name, b.name], b


def test_bad_signature(published, state):
    channel, names, b = published
    data = channel.read_index()
    old_sig = open(channel.signature_path(data), "rb").read()
    channel.put_index(data.replace(b"Serial=", b"Serial=1"), signature=old_sig)
    assert_refused(state, "org.lpmaint1.Error.BadSignature", names)


def test_unsigned(published, state):
    channel, names, b = published
    os.unlink(channel.signature_path(channel.read_index()))
    assert_refused(state, "org.lpmaint1.Error.Unsigned", names)


def test_untrusted_signer(published, state):
    channel, names, b = published
    channel.put_index(channel.read_index(), signer="rogue-signer")
    assert_refused(state, "org.lpmaint1.Error.UntrustedSigner", names)


def test_signer_not_allowed_to_sign_indexes(published, state):
    channel, names, b = published
    # Trusted, and allowed to sign patches, but not indexes.
    channel.put_index(channel.read_index(), signer="signer")
    assert_refused(state, "org.lpmaint1.Error.SignerNotAllowed", names)


def test_rollback(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    old = channel.read_index()
    old_sig = open(channel.signature_path(old), "rb").read()
    b = make_patch(version="1.0")
    channel.publish(b)
    agent_ok(state)
    # An old index, correctly signed, replayed.
    channel.put_index(old, signature=old_sig)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")
    assert_refused(state, "org.lpmaint1.Error.IndexRollback", [a.name, b.name])
    assert lpmaint("disable", b.name, user=AUTO).returncode == 0


def test_expired_index(published, state):
    channel, names, b = published
    text = channel.read_index().decode()
    lines = []
    for line in text.splitlines():
        if line.startswith("Serial="):
            line = f"Serial={int(line[7:]) + 1}"
        elif line.startswith("Issued="):
            line = "Issued=2026-01-01T00:00:00Z"
        elif line.startswith("Expires="):
            line = "Expires=2026-01-08T00:00:00Z"
        lines.append(line)
    channel.put_index(("\n".join(lines) + "\n").encode())
    assert_refused(state, "org.lpmaint1.Error.IndexExpired", names)


def test_artifact_digest_mismatch(published, state):
    channel, names, b = published
    path = channel.artifact(b.name, "1.0", ".ko")
    data = bytearray(open(path, "rb").read())
    data[-1] ^= 0xff
    with open(path, "wb") as f:
        f.write(data)
    assert_refused(state, "org.lpmaint1.Error.ArtifactMismatch", names, index_verified=True)


def test_artifact_larger_than_the_index_says(published, state):
    channel, names, b = published
    with open(channel.artifact(b.name, "1.0", ".ko"), "ab") as f:
        f.write(b"\0" * 4096)
    p = assert_refused(state, "org.lpmaint1.Error.ArtifactMismatch", names, index_verified=True)
    assert "larger than the index says" in p.stderr


def test_endless_index(published, state):
    channel, names, b = published
    channel.put_index(b"[Index]\n" + b"#" * (2 * 1024 * 1024))
    assert_refused(state, "too-large", names)


def test_index_for_another_kernel(published, state, make_patch):
    channel, names, b = published
    o = make_patch(version="1.0", module_release=OTHER_KERNEL, manifest_release=OTHER_KERNEL)
    channel.publish(o)
    other = channel.read_index(OTHER_KERNEL)
    other_sig = open(channel.signature_path(other, OTHER_KERNEL), "rb").read()
    channel.put_index(other, signature=other_sig)
    assert_refused(state, "org.lpmaint1.Error.IndexWrongKernel", names)


@pytest.fixture
def stalling_server():
    """A port that accepts connections and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


@pytest.mark.parametrize("where,error", [
    ("missing", "not-found"),
    ("error-500", "server-error"),
    ("redirect-http", "redirect-scheme"),
    ("truncated", "truncated"),
    ("down", "connect"),
    ("stalling", "too-slow"),
    ("untrusted-server", "tls-untrusted"),
])
def test_server_failures(server, state, sync_dropin, stalling_server, where, error):
    url = {
        "missing": server.url("/nothing-here"),
        "error-500": server.url("/error-500/ch"),
        "redirect-http": server.url("/redirect-http/ch"),
        "truncated": server.url("/truncated/ch"),
        "down": f"https://127.0.0.1:{free_port()}/ch",
        "stalling": f"https://127.0.0.1:{stalling_server}/ch",
        "untrusted-server": server.url("/ch"),
    }[where]
    # The server's certificate does not chain to the one CA the channel trusts.
    ca = "rogue-ca.pem" if where == "untrusted-server" else "ca.pem"
    sync_dropin(server, url, extra="LowSpeedLimitBytes=1000\nLowSpeedTimeSec=2\n", ca=ca)
    before = patches()
    start = time.monotonic()
    p = agent(state)
    assert time.monotonic() - start < 15
    assert p.returncode == 1, p.stdout
    assert f"{url}: {error}:" in p.stderr
    assert patches() == before
    assert agent_record(state) == {}
    status = sync_status()
    assert (status["LastResult"], status["LastChannel"]) == (error, url)
    assert f"Last error: {error}" in lpmaint("status").stdout


@pytest.mark.parametrize("text,why", [
    ("Channels=http://127.0.0.1:1/x\nIndexSigners=x\n", "without AllowPlainHTTP=yes"),
    ("Channels=ftp://127.0.0.1/x\nIndexSigners=x\n", "not an https:// or file:/// URL"),
    ("Channels=https://127.0.0.1/x\n", "needs IndexSigners="),
    ("Channels=https://127.0.0.1/x\nIndexSigners=x\nCAFile=relative.pem\n", "CAFile= must be an absolute path"),
    ("Channels=https://127.0.0.1/x\nIndexSigners=x\nTimeoutSec=0\n", "TimeoutSec= must be 1 to 86400"),
])
def test_bad_sync_configuration_is_refused(server, channel, sync_dropin, text, why):
    sync_dropin(server, channel.url)
    log = ENV["LPMAINT_DAEMON_LOG"]
    seen = os.path.getsize(log)
    write_dropin("[Sync]\n" + text)

    def refused():
        with open(log, errors="replace") as f:
            f.seek(seen)
            return why in f.read()
    wait_for(refused, what=f"lpmaintd refusing: {why}")
    # lpmaintd kept the configuration it had.
    assert sync_config()["Channels"] == [channel.url]


def test_plain_http_when_allowed(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    url = channel.url.replace(server.url(""), server.url("", "http"))
    sync_dropin(server, url, extra="AllowPlainHTTP=yes\n")
    agent_ok(state)
    assert view([a.name]) == {a.name: ("applied", "1.0")}
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_for(lambda: view([a.name])[a.name][0] == "disabled", what="disabled")


def test_report_sync_is_for_the_automation_group():
    p = run("busctl", "--system", "call", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "ReportSync",
            "a{sv}", "2", "channel", "s", "https://example.invalid/", "result", "s", "ok", user=OTHER)
    assert p.returncode != 0 and "access denied" in (p.stderr + p.stdout).lower()
    before = sync_status()
    p = run("busctl", "--system", "call", "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "ReportSync",
            "a{sv}", "2", "channel", "s", "x" * 5000, "result", "s", "ok", user=AUTO)
    assert p.returncode != 0 and "A report needs" in p.stderr + p.stdout
    assert sync_status() == before


def test_usage(state):
    # A run trusts only what lpmaint.conf says, through lpmaintd.
    for args in (("--trust-dir", "/tmp"), ("--index-signer", "me"), ("--now", "2030-01-01T00:00:00Z"), ("extra",)):
        p = agent(state, *args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert agent_record(state) == {}
    p = run(SYNC, "verify-channel", "--dry-run", "--index-signer", INDEX_SIGNER, state)
    assert p.returncode == 2
