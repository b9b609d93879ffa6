# SPDX-License-Identifier: LGPL-2.1-or-later
"""The happy path: apply, list, status, disable, history, as the automation user."""
import contextlib
import os
import subprocess
import tempfile

import pytest

from conftest import (AUTO, EXIT_DENIED, OTHER, PKI, RELEASE, SANDBOX, kernel_view, kmsg, lpmaint, lpmaint_json,
                      patches, history, run, sim_read, unique, wait_state)

from daemon_health import rss_kib, sanitized

GROUP = os.environ.get("LPMAINT_AUTOMATION_GROUP", "lpmaint-automation")

TAINT_LIVEPATCH = 1 << 15


def test_apply_list_disable(make_patch):
    a = make_patch(version="1.2", cves=("CVE-2026-1000", "CVE-2026-1001"))
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    assert "Applied" in p.stdout or "applied" in p.stdout

    # The kernel's own view: enabled, no transition, taint K.
    assert kernel_view(a.name) == {"module_loaded": True, "present": True, "enabled": True, "transition": False}
    assert int(sim_read("proc/sys/kernel/tainted")) & TAINT_LIVEPATCH

    info = patches()[a.name]
    assert info["state"] == "applied"
    assert info["result"] == "success"
    assert info["version"] == "1.2"
    assert info["kernel_release"] == RELEASE
    assert info["cves"] == ["CVE-2026-1000", "CVE-2026-1001"]
    assert len(info["module_sha256"]) == 64
    assert "CN=" in info["signer"]
    assert info["applied_usec"] > 0

    status = lpmaint_json("status")
    assert status["kernel_release"] == RELEASE
    assert status["simulated"] is True
    assert status["busy"] is False
    assert status["tainted"] & TAINT_LIVEPATCH
    assert {"bit": 15, "letter": "K", "name": "kernel live patched"} in status["taint_flags"]
    # Taint prints one way: the letters, then the mask.
    line = [l for l in lpmaint("status").stdout.splitlines() if l.strip().startswith("Tainted:")][0]
    letters = " ".join(f["letter"] for f in status["taint_flags"])
    assert line.split(": ", 1)[1] == f"{letters} ({status['tainted']})"
    assert status["patch_counts"]["applied"] >= 1

    p = lpmaint("disable", a.name, user=AUTO)
    assert p.returncode == 0, p.stderr
    assert kernel_view(a.name) == {"module_loaded": False, "present": False, "enabled": False, "transition": False}
    info = patches()[a.name]
    assert info["state"] == "disabled"
    assert info["operation"] == "disable"
    assert info["result"] == "success"

    records = [(r["action"], r["result"]) for r in history(patch=a.name)]
    assert ("apply", "accepted") in records
    assert ("apply", "success") in records
    assert ("disable", "accepted") in records
    assert ("disable", "success") in records
    assert f"'{a.name}': starting unpatching transition" in kmsg()


def test_reapply_after_disable_is_a_new_object(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    b = make_patch(name=a.name, version="2.0")
    p = lpmaint("apply", b.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    info = patches()[a.name]
    assert info["version"] == "2.0"
    assert info["state"] == "applied"
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_apply_twice_is_refused(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 1
    assert "org.lpmaint1.Error.AlreadyApplied" in p.stderr
    assert patches()[a.name]["state"] == "applied"
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_cumulative_patch_supersedes(make_patch):
    a = make_patch()
    b = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert lpmaint("apply", b.manifest, user=AUTO).returncode == 0
    c = make_patch(replace=True)
    p = lpmaint("apply", c.manifest, user=AUTO)
    assert p.returncode == 0, p.stderr

    for old in (a, b):
        info = wait_state(old.name, {"superseded"})
        assert info["superseded_by"] == c.name
        assert kernel_view(old.name)["present"] is False
        assert kernel_view(old.name)["module_loaded"] is False
    assert patches()[c.name]["replace"] is True
    assert kernel_view(c.name)["enabled"] is True

    assert lpmaint("disable", c.name, user=AUTO).returncode == 0
    assert kernel_view(c.name)["module_loaded"] is False


def test_disable_unknown_and_not_applied(make_patch):
    p = lpmaint("disable", "no_such_patch_here", user=AUTO)
    assert p.returncode == 1
    assert "org.lpmaint1.Error.NoSuchPatch" in p.stderr
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    p = lpmaint("disable", a.name, user=AUTO)
    assert p.returncode == 1
    assert "org.lpmaint1.Error.NotApplied" in p.stderr


@contextlib.contextmanager
def automation_group_with_members(count, length):
    """/etc/group with COUNT more members of LENGTH characters before the real
    ones of the automation group, bind-mounted over /etc/group in the sandbox's
    mount namespace only (lpmaintd and polkitd read it; the host does not)."""
    with open("/etc/group") as f:
        lines = f.read().splitlines()
    extra = ",".join(f"m{i:0{length - 1}d}" for i in range(count))
    for i, line in enumerate(lines):
        fields = line.split(":")
        if fields[0] == GROUP:
            fields[3] = extra + ("," + fields[3] if fields[3] else "")
            lines[i] = ":".join(fields)
            break
    else:
        raise AssertionError(f"no group {GROUP} in /etc/group")
    path = os.path.join(SANDBOX, "group")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o644)
    subprocess.run(("mount", "--bind", path, "/etc/group"), check=True)
    try:
        yield
    finally:
        subprocess.run(("umount", "/etc/group"), check=True)
        os.unlink(path)


def test_automation_group_with_a_long_member_list(make_patch):
    """A member list longer than 16 KiB once locked every member out."""
    a = make_patch()
    with automation_group_with_members(800, 31):  # about 25 KiB of members
        p = lpmaint("apply", a.manifest, user=AUTO)
        assert p.returncode == 0, p.stderr
        wait_state(a.name, ("applied",))
        assert lpmaint("disable", a.name, user=AUTO).returncode == 0
        wait_state(a.name, ("disabled",))
        # Still no one else.
        p = lpmaint("apply", make_patch().manifest, user=OTHER)
        assert p.returncode == EXIT_DENIED, p.stderr


def test_automation_group_entry_past_the_bound_is_a_denial(make_patch):
    """An entry larger than lpmaintd reads (4 MiB) is no proof of membership."""
    a = make_patch()
    with automation_group_with_members(140000, 31):  # about 4.4 MiB
        p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == EXIT_DENIED, p.stderr
    assert "Cannot check whether uid" in p.stderr, p.stderr
    assert a.name not in patches()
    assert history(result="denied")[-1]["action"] == "apply"


def test_memory_goes_back_after_large_modules(make_patch):
    """Large modules, refused here for their digest, leave nothing resident:
    glibc's rising mmap threshold once kept up to the last module's size in the heap."""
    if sanitized():
        pytest.skip("ASan keeps freed memory in its quarantine on purpose")
    a = make_patch()
    with open(a.module, "rb") as f:
        original = f.read()
    before = rss_kib()
    # Each size below glibc's 32 MiB ceiling raised the threshold for the next.
    for mib in (31, 20, 30, 12, 24, 63):
        with open(a.module, "wb") as f:
            f.write(original)
        os.truncate(a.module, mib << 20)
        p = lpmaint("apply", a.manifest, user=AUTO)
        assert p.returncode == 1 and "org.lpmaint1.Error.DigestMismatch" in p.stderr, p.stderr
    grown = rss_kib() - before
    assert grown < 8 * 1024, f"lpmaintd kept {grown} KiB resident after the large modules"


def signed_patch(workdir, module_flags=(), manifest_flags=()):
    """A signed patch whose module and manifest are built with separate flags."""
    name = unique("lp")
    src, out = tempfile.mkdtemp(dir=workdir), tempfile.mkdtemp(dir=workdir)
    module = os.path.join(src, f"{name}.ko")
    run("make-sim-module", "--name", name, "--release", RELEASE, *module_flags, "-o", module, check=True)
    run("lpmaint-sign", "--key", os.path.join(PKI, "signer.key"), "--cert", os.path.join(PKI, "signer.pem"),
        "--module", module, "--name", name, "--version", "1.0", "--kernel", RELEASE, "--output-dir", out,
        *manifest_flags, check=True)
    for d in (src, out):
        os.chmod(d, 0o755)
        for f in os.listdir(d):
            os.chmod(os.path.join(d, f), 0o644)
    return name, os.path.join(out, f"{name}.manifest")


@pytest.mark.parametrize("module_flags,manifest_flags,says", [
    (("--replace",), (), "Replace=false, the module is an atomic-replace patch"),
    ((), ("--replace",), "Replace=true, the module is not an atomic-replace patch"),
    (("--modinfo", "livepatch_replace=maybe"), (), 'livepatch_replace="maybe"'),
])
def test_replace_flag_of_the_module_must_match_the_manifest(make_patch, workdir, module_flags, manifest_flags, says):
    """A module that declares whether it replaces the others is held to its manifest."""
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    wait_state(a.name, ("applied",))
    before = len(history(result="refused"))

    name, manifest = signed_patch(workdir, module_flags, manifest_flags)
    p = lpmaint("apply", manifest, user=AUTO)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "org.lpmaint1.Error.InvalidManifest" in p.stderr and says in p.stderr, p.stderr
    assert name not in patches()
    assert kernel_view(name)["module_loaded"] is False
    assert kernel_view(a.name)["enabled"] is True and patches()[a.name]["state"] == "applied"
    assert len(history(result="refused")) == before + 1
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    wait_state(a.name, ("disabled",))


def test_a_replacing_module_that_does_not_say_so_is_reconciled(make_patch, workdir):
    """A module that does not declare its replace flag cannot be checked before
    loading; when it turns out to have replaced the others, they are recorded
    as superseded by it, whatever its manifest said."""
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    wait_state(a.name, ("applied",))

    name, manifest = signed_patch(workdir, ("--replace", "--undeclared"))
    p = lpmaint("apply", manifest, user=AUTO)
    assert p.returncode == 0, p.stderr
    wait_state(name, ("applied",))
    info = wait_state(a.name, ("superseded",))
    assert info["superseded_by"] == name
    assert kernel_view(a.name) == {"module_loaded": False, "present": False, "enabled": False, "transition": False}

    # A patch that replaces nothing leaves the others as they are.
    b = make_patch()
    assert lpmaint("apply", b.manifest, user=AUTO).returncode == 0
    wait_state(b.name, ("applied",))
    assert patches()[name]["state"] == "applied"
    for n in (b.name, name):
        assert lpmaint("disable", n, user=AUTO).returncode == 0
        wait_state(n, ("disabled",))
