# SPDX-License-Identifier: LGPL-2.1-or-later
"""The trust model: who may sign, which versions may come back, and break-glass."""
import os
import shutil
import time

import pytest

from conftest import (AUTO, OTHER, EXIT_DENIED, PKI, history, kernel_view, lpmaint, lpmaint_json, patches,
                      reload_daemon, wait_for)
from test_bad_input import refused

TRUST = os.environ.get("LPMAINT_TRUST_DIR", "")
DROPINS = os.environ.get("LPMAINT_CONFIG", "") + ".d"


@pytest.fixture
def dropin():
    """Writes a configuration drop-in and reloads lpmaintd; takes it away after."""
    path = os.path.join(DROPINS, "70-trust-test.conf")

    def write(text):
        os.makedirs(DROPINS, exist_ok=True)
        with open(path, "w") as f:
            f.write("[Daemon]\n" + text + "\n")
        before = os.path.getmtime(os.environ["LPMAINT_DAEMON_LOG"])
        reload_daemon()
        wait_for(lambda: os.path.getmtime(os.environ["LPMAINT_DAEMON_LOG"]) > before, what="reload logged")
    yield write
    if os.path.exists(path):
        os.unlink(path)
        reload_daemon()
        time.sleep(0.2)


@pytest.fixture
def crl():
    path = os.path.join(TRUST, "ca.crl")
    shutil.copy(os.path.join(PKI, "ca.crl"), path)
    yield path
    os.unlink(path)


def applied(a, *extra, user=AUTO):
    p = lpmaint("apply", *extra, a.manifest, user=user)
    assert p.returncode == 0, (p.stdout, p.stderr)
    return patches()[a.name]


def test_unsigned(make_patch):
    a = make_patch()
    open(a.signature, "w").close()
    refused(a, "org.lpmaint1.Error.Unsigned")


def test_signer_without_code_signing_purpose(make_patch):
    refused(make_patch(signer="email-signer"), "org.lpmaint1.Error.WrongPurpose")


def test_revoked_signer(make_patch, crl):
    refused(make_patch(signer="revoked-signer"), "org.lpmaint1.Error.CertificateRevoked")
    # The CRL does not hurt a good signer of the same CA.
    a = make_patch()
    applied(a)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


@pytest.fixture
def intermediate_crls(crl):
    """Every CA of the chains gets its CRL (with CRLs in use each one needs one)."""
    paths = []
    for name in ("inter-ca.crl", "revoked-inter-ca.crl"):
        paths.append(os.path.join(TRUST, name))
        shutil.copy(os.path.join(PKI, name), paths[-1])
    yield
    for path in paths:
        os.unlink(path)


def test_signer_under_a_revoked_intermediate(make_patch, intermediate_crls):
    """ca.crl revokes the intermediate CA, not the signer: the whole chain is checked."""
    chain = ("--chain", os.path.join(PKI, "revoked-inter-ca.pem"))
    refused(make_patch(signer="revoked-inter-signer", extra=chain), "org.lpmaint1.Error.CertificateRevoked")
    # A signer under an intermediate that is not revoked still applies.
    a = make_patch(signer="inter-signer", extra=("--chain", os.path.join(PKI, "inter-ca.pem")))
    applied(a)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_intermediate_without_a_crl(make_patch, crl):
    """With CRLs in use, an intermediate that publishes none vouches for nobody."""
    a = make_patch(signer="inter-signer", extra=("--chain", os.path.join(PKI, "inter-ca.pem")))
    refused(a, "org.lpmaint1.Error.UntrustedSigner")


def test_own_purpose(make_patch, dropin):
    dropin("RequiredPurpose=lpmaint")
    refused(make_patch(), "org.lpmaint1.Error.WrongPurpose")
    a = make_patch(signer="lpmaint-signer")
    applied(a)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_allowed_signers(make_patch, dropin):
    dropin("AllowedSigners=lpmaint purpose test signer;lpmaint test signer")
    a = make_patch()
    applied(a)
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
    dropin("AllowedSigners=lpmaint purpose test signer")
    refused(make_patch(), "org.lpmaint1.Error.SignerNotAllowed")


def test_rollback_is_refused_and_downgrade_needs_its_own_authorization(make_patch):
    a2 = make_patch(version="2.0")
    applied(a2)
    assert lpmaint("disable", a2.name, user=AUTO).returncode == 0

    a1 = make_patch(name=a2.name, version="1.9")
    p = lpmaint("apply", a1.manifest, user=AUTO)
    assert p.returncode == 1 and "org.lpmaint1.Error.Rollback" in p.stderr, p.stderr
    assert patches()[a2.name]["version"] == "2.0"

    # The automation identity is not granted downgrade-patch by the shipped rules.
    p = lpmaint("apply", "--allow-downgrade", a1.manifest, user=AUTO)
    assert p.returncode == EXIT_DENIED, p.stderr
    assert kernel_view(a2.name)["module_loaded"] is False
    assert history(result="denied")[-1]["action"] == "apply"

    # The same version again is no rollback; 2.10 sorts after 2.9 (version sort).
    applied(make_patch(name=a2.name, version="2.0"))
    assert lpmaint("disable", a2.name, user=AUTO).returncode == 0
    applied(make_patch(name=a2.name, version="2.10"))
    assert lpmaint("disable", a2.name, user=AUTO).returncode == 0
    p = lpmaint("apply", make_patch(name=a2.name, version="2.9").manifest, user=AUTO)
    assert "org.lpmaint1.Error.Rollback" in p.stderr, p.stderr


def test_rollback_across_a_stream(make_patch):
    b = make_patch(version="5.0", stream="fleet_cumulative")
    applied(b)
    assert lpmaint("disable", b.name, user=AUTO).returncode == 0
    older = make_patch(version="4.0", stream="fleet_cumulative")
    p = lpmaint("apply", older.manifest, user=AUTO)
    assert "org.lpmaint1.Error.Rollback" in p.stderr, p.stderr
    assert older.name not in patches()


def test_break_glass(make_patch):
    a = make_patch()
    # An ordinary user without a polkit agent cannot authenticate as an administrator.
    p = lpmaint("apply", "--break-glass", a.manifest, user=OTHER)
    assert p.returncode == EXIT_DENIED, p.stderr
    assert a.name not in patches()

    # Root passes polkit (it always does); the apply is loud: audit, status and list.
    info = applied(a, "--break-glass", user=None)
    assert info["break_glass"] is True and info["break_glass_acknowledged"] is False
    assert a.name in lpmaint_json("status")["unacknowledged_break_glass"]
    assert [r for r in history(patch=a.name) if r["action"] == "apply-break-glass" and r["result"] == "accepted"]
    assert "BREAK-GLASS" in lpmaint("status").stdout

    p = lpmaint("acknowledge", a.name, user=OTHER)
    assert p.returncode == EXIT_DENIED, p.stderr
    p = lpmaint("acknowledge", a.name, user=AUTO)
    assert p.returncode == 0, p.stderr
    assert a.name not in lpmaint_json("status")["unacknowledged_break_glass"]
    assert patches()[a.name]["break_glass_acknowledged"] is True
    # A second acknowledgement is refused by name, not as malformed arguments.
    p = lpmaint("acknowledge", a.name, user=AUTO)
    assert p.returncode == 1, p.stderr
    assert "org.lpmaint1.Error.AlreadyAcknowledged" in p.stderr, p.stderr
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_module_signature_and_kernel_policy_are_reported(make_patch):
    a = make_patch(sign_module=True)
    info = applied(a)
    assert info["module_signature"]["signer"] == "lpmaint test CA"
    assert info["module_signature"]["hash_algorithm"] == "sha256"
    assert info["module_signature"]["key"]
    assert "lpmaint test CA" in lpmaint("list").stdout
    status = lpmaint_json("status")
    assert status["kernel_lockdown"] == ""
    assert status["module_signature_enforced"] is False
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_module_over_the_size_cap(make_patch, dropin):
    dropin("MaxModuleSize=1K")
    a = make_patch()
    assert os.path.getsize(a.module) > 1024
    refused(a, "org.lpmaint1.Error.FileTooLarge")


def test_only_the_verified_bytes_are_loaded(make_patch):
    """The store and the kernel get the bytes that were verified, whatever happens to the source."""
    import hashlib
    a = make_patch()
    info = applied(a)
    with open(a.module, "r+b") as f:
        f.write(b"\x7fELF tampered after apply")

    def sha(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    state = os.environ["LPMAINT_STATE_DIR"]
    assert sha(os.path.join(state, "patches", a.name, "module.ko")) == info["module_sha256"]
    assert sha(os.path.join(os.environ["LPMAINT_SIM_DIR"], "sim", "modules", f"{a.name}.ko")) == info["module_sha256"]
    assert sha(a.module) != info["module_sha256"]
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
