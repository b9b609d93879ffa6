# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bad artifacts: each gets its named error, an audit record, and changes nothing."""
import os

import pytest

from conftest import AUTO, RELEASE, kernel_view, lpmaint, patches, history


def refused(a, error):
    before = len(history(result="refused"))
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert error in p.stderr, p.stderr
    # Nothing changed: no record, no module, no livepatch.
    assert a.name not in patches()
    assert kernel_view(a.name) == {"module_loaded": False, "present": False, "enabled": False, "transition": False}
    records = history(result="refused")
    assert len(records) == before + 1
    assert error in records[-1]["message"]


def test_tampered_manifest(make_patch):
    a = make_patch()
    with open(a.manifest) as f:
        text = f.read()
    with open(a.manifest, "w") as f:
        f.write(text.replace("Version=1.0", "Version=1.1"))
    refused(a, "org.lpmaint1.Error.BadSignature")


def test_signer_not_trusted(make_patch):
    refused(make_patch(signer="rogue-signer"), "org.lpmaint1.Error.UntrustedSigner")


def test_expired_signer_certificate(make_patch):
    refused(make_patch(signer="expired-signer"), "org.lpmaint1.Error.CertificateExpired")


def test_module_swapped_after_signing(make_patch):
    a = make_patch()
    with open(a.module, "ab") as f:
        f.write(b"\0")
    refused(a, "org.lpmaint1.Error.DigestMismatch")


def test_manifest_for_another_kernel(make_patch):
    refused(make_patch(manifest_release="5.10.0-99-amd64"), "org.lpmaint1.Error.WrongKernel")


def test_module_built_for_another_kernel(make_patch):
    refused(make_patch(module_release="5.10.0-99-amd64"), "org.lpmaint1.Error.WrongKernel")


def test_not_a_livepatch_module(make_patch):
    refused(make_patch(not_livepatch=True), "org.lpmaint1.Error.NotLivepatch")


def test_expired_manifest(make_patch):
    a = make_patch(extra=("--issued", "2020-01-01T00:00:00Z", "--expires", "2020-06-01T00:00:00Z"))
    refused(a, "org.lpmaint1.Error.Expired")


def test_signature_is_garbage(make_patch):
    a = make_patch()
    with open(a.signature, "wb") as f:
        f.write(b"this is not CMS")
    refused(a, "org.lpmaint1.Error.BadSignature")


def test_empty_module(make_patch):
    a = make_patch()
    open(a.module, "w").close()
    refused(a, "org.lpmaint1.Error.BadFile")


def test_missing_signature_file_is_a_local_error(make_patch):
    a = make_patch()
    os.unlink(a.signature)
    p = lpmaint("apply", a.manifest, user=AUTO)
    assert p.returncode != 0
    assert a.name not in patches()
