# SPDX-License-Identifier: LGPL-2.1-or-later
"""Damaged and unusual files: the versions record, FIFOs and links where lpmaintd
expects a regular file, a patch record that is a link out of the store, temporary
files left by a killed daemon, repeated manifest keys and the version order."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (AUTO, PKI, SANDBOX, history, kill_daemon, lpmaint, lpmaint_json, patches, reload_daemon,
                      restart_daemon, run, wait_for, wait_state)

STATE = os.environ.get("LPMAINT_STATE_DIR", "")
TRUST = os.environ.get("LPMAINT_TRUST_DIR", "")
CONFIG = os.environ.get("LPMAINT_CONFIG", "")
LOG = os.environ.get("LPMAINT_DAEMON_LOG", os.path.join(SANDBOX, "lpmaintd.log"))
VERSIONS = os.path.join(STATE, "versions")
DAMAGED = VERSIONS + ".damaged"
STORE = os.path.join(STATE, "patches")

# Every call below would hang for ever if lpmaintd blocked in open() on a FIFO.
QUICK = 15


def apply(a):
    return run("lpmaint", "--no-ask-password", "apply", a.manifest, user=AUTO, timeout=QUICK)


def applied(a):
    p = apply(a)
    assert p.returncode == 0, p.stderr
    return wait_state(a.name, ("applied",))


def disable(name):
    assert lpmaint("disable", name, user=AUTO).returncode == 0
    wait_state(name, ("disabled",))


def log_text():
    with open(LOG, errors="replace") as f:
        return f.read()


def log_mark():
    return len(log_text())


def logged_since(mark, text, timeout=10):
    return wait_for(lambda: text in log_text()[mark:], timeout=timeout, what=f"log line with {text!r}")


def resign(a, text):
    """Writes @text as @a's manifest, signed by the trusted test signer."""
    with open(a.manifest, "w") as f:
        f.write(text)
    run("openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", a.manifest,
        "-signer", os.path.join(PKI, "signer.pem"), "-inkey", os.path.join(PKI, "signer.key"),
        "-outform", "DER", "-out", a.signature, check=True)
    os.chmod(a.signature, 0o644)


def read_manifest(a):
    with open(a.manifest) as f:
        return f.read()


@pytest.fixture
def versions_record():
    """Puts the versions record back as it was, whatever a test did to it."""
    saved = None
    if os.path.isfile(VERSIONS) and not os.path.islink(VERSIONS):
        with open(VERSIONS, "rb") as f:
            saved = f.read()
    yield
    for path in (VERSIONS, DAMAGED):
        if os.path.lexists(path):
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
    if saved is not None:
        with open(VERSIONS, "wb") as f:
            f.write(saved)
        os.chmod(VERSIONS, 0o600)


def damage_versions(kind):
    os.unlink(VERSIONS)
    if kind == "fifo":
        os.mkfifo(VERSIONS, 0o600)
        return
    with open(VERSIONS, "wb") as f:
        f.write({"truncated": b"", "zeros": b"\0" * 4096, "garbage": b"[Streams]\n\xff\xfe not a record\n"}[kind])


@pytest.mark.parametrize("kind", ["truncated", "zeros", "garbage", "fifo"])
def test_damaged_versions_record_fails_closed(make_patch, versions_record, kind):
    a2 = make_patch(version="2.0")
    applied(a2)
    disable(a2.name)
    damage_versions(kind)
    before = os.lstat(VERSIONS)

    # A replay of an older version, and even a newer one: refused while the record is damaged.
    for a in (make_patch(name=a2.name, version="1.0"), make_patch(name=a2.name, version="3.0")):
        p = apply(a)
        assert p.returncode == 1, p.stderr
        assert "org.lpmaint1.Error.StateDamaged" in p.stderr, p.stderr
        assert "lpmaintd(8)" in p.stderr and "versions.damaged" in p.stderr, p.stderr
        assert patches()[a2.name]["version"] == "2.0"
    assert "org.lpmaint1.Error.StateDamaged" in history(result="refused")[-1]["message"]

    # Set aside as it was, never rewritten, nothing new in its place.
    assert not os.path.lexists(VERSIONS)
    after = os.lstat(DAMAGED)
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)

    # Recovery: after review, the damaged copy is removed; the store's patches are
    # what was accepted, so the replay is still a rollback and a newer version goes in.
    os.unlink(DAMAGED)
    p = apply(make_patch(name=a2.name, version="1.0"))
    assert "org.lpmaint1.Error.Rollback" in p.stderr, p.stderr
    applied(make_patch(name=a2.name, version="2.1"))
    with open(VERSIONS) as f:
        assert f"{a2.name}=2.1\n" in f.read()
    disable(a2.name)


def test_restored_versions_record_is_in_force_again(make_patch, versions_record):
    a = make_patch(version="5.0")
    applied(a)
    disable(a.name)
    with open(VERSIONS, "rb") as f:
        good = f.read()
    damage_versions("garbage")
    assert "StateDamaged" in apply(make_patch(name=a.name, version="6.0")).stderr

    # Recovery by restoring a good copy, then removing the damaged one.
    with open(VERSIONS, "wb") as f:
        f.write(good)
    assert "StateDamaged" in apply(make_patch(name=a.name, version="6.0")).stderr
    os.unlink(DAMAGED)
    assert "org.lpmaint1.Error.Rollback" in apply(make_patch(name=a.name, version="4.0")).stderr
    applied(make_patch(name=a.name, version="6.0"))
    disable(a.name)


def test_version_order_is_debian(make_patch):
    stream = f"order_{os.urandom(4).hex()}"

    def step(version, ok):
        a = make_patch(version=version, stream=stream)
        if ok:
            applied(a)
            disable(a.name)
        else:
            p = apply(a)
            assert "org.lpmaint1.Error.Rollback" in p.stderr, (version, p.stderr)

    step("1.0~rc1", True)
    step("1.0", True)           # a release after its release candidate
    step("1.0~rc2", False)
    step("1.01", True)          # 1.01 is 1.1, after 1.0
    step("1.09", True)
    step("1.1", False)          # 1.1 < 1.09
    step("1.10", True)
    step("1:0.1", True)         # an epoch outranks everything after it
    step("2.0", False)


@pytest.mark.parametrize("version", ["1_0", "a1", "1.0-", "1:"])
def test_version_dpkg_refuses_is_invalid(make_patch, version):
    a = make_patch()
    resign(a, read_manifest(a).replace("Version=1.0\n", f"Version={version}\n"))
    p = apply(a)
    assert p.returncode == 1 and "org.lpmaint1.Error.InvalidManifest" in p.stderr, p.stderr
    assert "Version=" in p.stderr
    assert a.name not in patches()


def test_lpmaint_sign_refuses_what_dpkg_refuses(make_patch):
    with pytest.raises(AssertionError, match="invalid --version"):
        make_patch(version="1_0")


@pytest.mark.parametrize("extra,named", [
    ("ModuleSHA256={sha}\n", "ModuleSHA256= twice in [Patch]"),
    ("Name={name}\n", "Name= twice in [Patch]"),
    ("Version=9.9\n", "Version= twice in [Patch]"),
    ("[Patch]\nDescription=merged\n", "the group [Patch] twice"),
])
def test_repeated_manifest_keys_are_refused(make_patch, extra, named):
    a = make_patch()
    text = read_manifest(a)
    sha = next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith("ModuleSHA256="))
    text += extra.format(sha=sha, name=a.name)
    resign(a, text)
    line = len(text.splitlines()) - extra.count("\n") + 1
    p = apply(a)
    assert p.returncode == 1 and "org.lpmaint1.Error.InvalidManifest" in p.stderr, p.stderr
    assert named in p.stderr and f"(line {line})" in p.stderr, p.stderr
    assert a.name not in patches()


def test_fifo_config_dropin_is_refused_by_name(workdir):
    fifo = os.path.join(CONFIG + ".d", "85-fifo.conf")
    os.makedirs(os.path.dirname(fifo), exist_ok=True)
    os.mkfifo(fifo, 0o644)
    try:
        mark = log_mark()
        reload_daemon()
        logged_since(mark, f"{fifo}: not a regular file")
        assert "keeping the last good one" in log_text()[mark:]
        lpmaint_json("status")  # still serving

        # At start: the named error at once, no wait for a writer.
        state = os.path.join(workdir, "state")
        conf = os.path.join(workdir, "lpmaint.conf")
        with open(conf, "w") as f:
            f.write(f"[Daemon]\nStateDirectory={state}\n")
        os.mkdir(conf + ".d")
        os.mkfifo(os.path.join(conf + ".d", "10-fifo.conf"))
        p = subprocess.run([os.environ["LPMAINT_DAEMON"], f"--config={conf}",
                            f"--simulate-kernel={os.environ['LPMAINT_SIM_DIR']}"],
                           capture_output=True, text=True, timeout=QUICK)
        assert p.returncode != 0
        assert "10-fifo.conf: not a regular file" in p.stderr, p.stderr
    finally:
        os.unlink(fifo)
        reload_daemon()


@pytest.mark.parametrize("kind", ["fifo", "link"])
def test_trust_file_that_is_not_regular_refuses_every_apply(make_patch, workdir, kind):
    path = os.path.join(TRUST, "zz-odd.pem")
    if kind == "fifo":
        os.mkfifo(path, 0o644)
    else:
        os.symlink(os.path.join(PKI, "ca.pem"), path)
    try:
        a = make_patch()
        p = apply(a)
        assert p.returncode == 1 and "org.lpmaint1.Error.UntrustedSigner" in p.stderr, p.stderr
        assert f"{path} is not a regular file" in p.stderr, p.stderr
        assert a.name not in patches()
    finally:
        os.unlink(path)
    applied(a)
    disable(a.name)


def restart_within_seconds():
    start = time.monotonic()
    p = subprocess.run([os.path.join(SANDBOX, "lpmaintd-start")], capture_output=True, text=True, timeout=QUICK)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - start < QUICK
    lpmaint_json("status")


def test_fifo_in_the_store_and_boots_does_not_block_the_start(make_patch):
    a, b = make_patch(), make_patch()
    for x in (a, b):
        applied(x)
        disable(x.name)
    records = [os.path.join(STORE, x.name) for x in (a, b)]
    kill_daemon(signal.SIGTERM)
    # A stored manifest, and a record's state file, replaced by FIFOs.
    for record, name in zip(records, ("manifest", "state")):
        os.unlink(os.path.join(record, name))
        os.mkfifo(os.path.join(record, name), 0o600)
    boots = os.path.join(STATE, "boots")
    os.rename(boots, boots + ".saved")
    os.mkfifo(boots, 0o600)
    try:
        mark = log_mark()
        restart_within_seconds()
        for x, record in zip((a, b), records):
            assert x.name not in patches()
            assert f"Patch record {record} cannot be read" in log_text()[mark:]
        # The boot log's FIFO is set aside like any damaged boot log.
        assert not os.path.exists(boots) or os.path.isfile(boots)
        assert os.path.exists(boots + ".damaged")
    finally:
        kill_daemon(signal.SIGTERM)
        for record in records:
            shutil.rmtree(record)
        for p in (boots + ".damaged", boots):
            if os.path.lexists(p):
                os.unlink(p)
        os.rename(boots + ".saved", boots)
        restart_daemon()


def test_symlinked_patch_record_is_not_followed(make_patch, workdir):
    a = make_patch()
    applied(a)
    disable(a.name)
    record = os.path.join(STORE, a.name)
    outside = os.path.join(workdir, "outside")
    kill_daemon(signal.SIGTERM)
    shutil.move(record, outside)
    os.symlink(outside, record)
    state = os.path.join(outside, "state")
    with open(state) as f:
        before = f.read()
    mtime = os.stat(state).st_mtime_ns
    try:
        mark = log_mark()
        restart_within_seconds()
        assert a.name not in patches()
        assert f"Patch record {record} cannot be read" in log_text()[mark:]
        # Left in place for inspection, and nothing written through it.
        assert os.path.islink(record)
        with open(state) as f:
            assert f.read() == before
        assert os.stat(state).st_mtime_ns == mtime
        assert sorted(os.listdir(outside)) == ["manifest", "module.ko", "signature", "state"]
    finally:
        os.unlink(record)


def test_temporary_files_are_removed_at_start(make_patch):
    a = make_patch()
    applied(a)
    disable(a.name)
    record = os.path.join(STORE, a.name)
    kill_daemon(signal.SIGKILL)
    leftovers = [os.path.join(STATE, n) for n in (".#versions.aB3dE5", ".#boots.Zz9yY8", ".#reboot-wave.q1w2e3")]
    leftovers.append(os.path.join(record, ".#state.QwErTy"))
    for path in leftovers:
        with open(path, "w") as f:
            f.write("half written")
    staging = os.path.join(STORE, f".staging-{a.name}-x1Y2z3")
    os.mkdir(staging, 0o700)
    with open(os.path.join(staging, "manifest"), "w") as f:
        f.write("half")
    mine = os.path.join(STATE, ".#notes")  # not a name lpmaintd makes
    with open(mine, "w") as f:
        f.write("keep")
    try:
        mark = log_mark()
        restart_within_seconds()
        for path in leftovers + [staging]:
            assert not os.path.lexists(path), path
            assert f"Removed {path}" in log_text()[mark:], path
        assert os.path.exists(mine)
        assert patches()[a.name]["state"] == "disabled"
    finally:
        os.unlink(mine)


def test_damaged_versions_record_is_told_at_start(make_patch, versions_record):
    a = make_patch(version="1.0")
    applied(a)
    disable(a.name)
    kill_daemon(signal.SIGTERM)
    damage_versions("zeros")
    mark = log_mark()
    restart_within_seconds()
    logged_since(mark, "the record of accepted versions was damaged and is set aside")
    assert not os.path.lexists(VERSIONS) and os.path.exists(DAMAGED)
    assert "StateDamaged" in apply(make_patch(name=a.name, version="2.0")).stderr
