#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Drives the real lpmaint-channel and lpmaint-sync verify-channel on patches
made by the project's own tools (make-test-pki, make-sim-module,
lpmaint-sign): init, add, promote, recall, resign and verify, every refusal
(each leaves the channel as it was), and a publish killed at each of its
renames (the old index stays valid, the run can be repeated).

Usage: test-lpmaint-channel.py LPMAINT-CHANNEL LPMAINT-SYNC TOOLS-DIR
(meson test --suite channel runs it; no root, no network.)
"""

import datetime
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

CHANNEL = SYNC = TOOLS = None
KERNEL = "6.1.0-lpmaint-channel-test"
OTHER_KERNEL = "6.1.0-lpmaint-channel-other"
INDEX_SIGNER = "lpmaint test intermediate signer"
PATCH_SIGNER = "lpmaint test signer"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

ENV = dict(os.environ, LC_ALL="C")


def run(*cmd, check=False):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=ENV)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def tree(root):
    """Every file below @root and its bytes: a channel's whole state."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def parse_index(text):
    groups, group = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            group = line[1:-1]
            groups[group] = {}
        elif "=" in line and group is not None:
            k, v = line.split("=", 1)
            groups[group][k] = v
    return groups


class ChannelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lpmaint-channel-test-")
        cls.pki = os.path.join(cls.tmp, "pki")
        run(os.path.join(TOOLS, "make-test-pki"), cls.pki, check=True)
        cls.trust = os.path.join(cls.tmp, "trust")
        os.mkdir(cls.trust)
        shutil.copy(os.path.join(cls.pki, "ca.pem"), cls.trust)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.tmp)
        self.ch = os.path.join(self.dir, "channel")
        run(CHANNEL, "init", self.ch, check=True)

    # --- helpers ---------------------------------------------------------

    def key(self, who="inter-signer"):
        args = ["--key", os.path.join(self.pki, f"{who}.key"), "--cert", os.path.join(self.pki, f"{who}.pem")]
        if who.startswith("inter-"):
            args += ["--chain", os.path.join(self.pki, "inter-ca.pem")]
        return args

    def channel(self, *args, who="inter-signer"):
        return run(CHANNEL, "-C", self.ch, *self.key(who), "--trust-dir", self.trust, *args)

    def make_patch(self, name, version, kernel=KERNEL, replace=False, signer="signer", extra=()):
        out = tempfile.mkdtemp(dir=self.dir)
        module = os.path.join(tempfile.mkdtemp(dir=self.dir), f"{name}.ko")
        cmd = [os.path.join(TOOLS, "make-sim-module"), "--name", name, "--release", kernel, "-o", module]
        if replace:
            cmd.append("--replace")
        run(*cmd, check=True)
        sign = [os.path.join(TOOLS, "lpmaint-sign"), "--key", os.path.join(self.pki, f"{signer}.key"),
                "--cert", os.path.join(self.pki, f"{signer}.pem"), "--module", module, "--name", name,
                "--version", version, "--kernel", kernel, "--output-dir", out, *extra]
        if replace:
            sign.append("--replace")
        run(*sign, check=True)
        return os.path.join(out, f"{name}.manifest")

    def index_path(self, kernel=KERNEL):
        return os.path.join(self.ch, "kernels", kernel, "index")

    def index(self, kernel=KERNEL):
        with open(self.index_path(kernel)) as f:
            return parse_index(f.read())

    def serial(self, kernel=KERNEL):
        if not os.path.exists(self.index_path(kernel)):
            return 0
        return int(self.index(kernel)["Index"]["Serial"])

    def verify(self, *extra, signer=INDEX_SIGNER):
        return run(CHANNEL, "-C", self.ch, "--trust-dir", self.trust, "--index-signer", signer, *extra, "verify")

    def sync_verify(self, *extra, signer=INDEX_SIGNER):
        return run(SYNC, "verify-channel", "--trust-dir", self.trust, "--index-signer", signer, *extra, self.ch)

    def assert_verifies(self):
        for p in (self.verify(), self.sync_verify()):
            self.assertEqual(p.returncode, EXIT_OK, p.stdout + p.stderr)

    def assert_refused(self, p, error=None, status=EXIT_FAILED):
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        if error:
            self.assertIn(f"org.lpmaint1.Error.{error}", p.stderr)

    def assert_unchanged_by(self, before, p, error=None, status=EXIT_FAILED):
        self.assert_refused(p, error, status)
        self.assertEqual(tree(self.ch), before, "a refused command changed the channel")

    def add(self, manifest, check=True):
        p = self.channel("add", manifest)
        if check:
            self.assertEqual(p.returncode, EXIT_OK, p.stdout + p.stderr)
        return p

    # --- init --------------------------------------------------------------

    def test_init(self):
        self.assertTrue(os.path.isdir(os.path.join(self.ch, "kernels")))
        self.assertTrue(os.path.isdir(os.path.join(self.ch, "patches")))
        self.assertEqual(run(CHANNEL, "init", self.ch).returncode, EXIT_OK)
        f = os.path.join(self.dir, "file")
        open(f, "w").close()
        self.assert_refused(run(CHANNEL, "init", f))
        self.assert_refused(run(CHANNEL, "init"), status=EXIT_USAGE)
        # An empty channel verifies: nothing in it.
        self.assert_verifies()

    # --- add, promote, recall, resign --------------------------------------

    def test_add_publishes_byte_for_byte(self):
        m = self.make_patch("lp_add", "1.0")
        p = self.add(m)
        self.assertIn("serial 1", p.stdout)
        idx = self.index()
        self.assertEqual(idx["Index"]["Kernel"], KERNEL)
        self.assertEqual(idx["Index"]["Serial"], "1")
        entry = idx["Patch lp_add 1.0"]
        self.assertEqual(entry["AddedIn"], "1")
        self.assertEqual(entry["Replace"], "false")
        self.assertNotIn("Promote lp_add 1.0", idx)  # promoted nowhere yet
        for what, src in (("Manifest", m), ("Signature", m + ".p7s"), ("Module", os.path.join(os.path.dirname(m), "lp_add.ko"))):
            with open(src, "rb") as f:
                data = f.read()
            with open(os.path.join(self.ch, entry[what]), "rb") as f:
                self.assertEqual(f.read(), data, what)
            self.assertEqual(entry[what + "SHA256"], hashlib.sha256(data).hexdigest())
            self.assertEqual(int(entry[what + "Size"]), len(data))
            self.assertTrue(entry[what].startswith(f"patches/{KERNEL}/lp_add/1.0/"))
        # The signature is named after the index's digest.
        with open(self.index_path(), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.assertTrue(os.path.exists(os.path.join(self.ch, "kernels", KERNEL, "signatures", digest + ".p7s")))
        self.assert_verifies()

        # The same files again: nothing changes.
        before = tree(self.ch)
        p = self.add(m)
        self.assertIn("published already", p.stdout)
        self.assertEqual(tree(self.ch), before)

    def test_promote(self):
        self.add(self.make_patch("lp_pro", "1.0"))
        self.add(self.make_patch("lp_pro", "1.1"))
        self.assertEqual(self.serial(), 2)

        # Without a version: the newest.
        p = self.channel("--ring", "wave-1", "promote", "lp_pro")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        idx = self.index()
        self.assertIn("wave-1", idx["Promote lp_pro 1.1"])
        self.assertNotIn("Promote lp_pro 1.0", idx)
        self.assertEqual(self.serial(), 3)

        p = self.channel("--ring", "*", "--at", "2030-01-01T00:00:00Z", "promote", "lp_pro", "1.0")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(self.index()["Promote lp_pro 1.0"], {"*": "2030-01-01T00:00:00Z"})
        # The same promotion again changes nothing; another time moves it.
        before = tree(self.ch)
        p = self.channel("--ring", "*", "--at", "2030-01-01T00:00:00Z", "promote", "lp_pro", "1.0")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(tree(self.ch), before)
        self.channel("--ring", "*", "--at", "2029-01-01T00:00:00Z", "promote", "lp_pro", "1.0")
        self.assertEqual(self.index()["Promote lp_pro 1.0"], {"*": "2029-01-01T00:00:00Z"})
        self.assertEqual(self.serial(), 5)
        self.assert_verifies()

        before = tree(self.ch)
        self.assert_unchanged_by(before, self.channel("--ring", "wave-1", "promote", "lp_none"), "NoSuchPatch")
        self.assert_unchanged_by(before, self.channel("--ring", "wave-1", "promote", "lp_pro", "9.9"), "NoSuchPatch")
        self.assert_unchanged_by(before, self.channel("promote", "lp_pro"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--ring", "wave.1", "promote", "lp_pro"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--ring", "wave-1", "--at", "tomorrow", "promote", "lp_pro"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--ring", "wave-1", "--kernel", OTHER_KERNEL, "promote", "lp_pro"))

    def test_promote_across_kernels(self):
        self.add(self.make_patch("lp_multi", "1.0"))
        self.add(self.make_patch("lp_multi", "1.0", kernel=OTHER_KERNEL))
        p = self.channel("--ring", "wave-2", "promote", "lp_multi")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        for k in (KERNEL, OTHER_KERNEL):
            self.assertIn("wave-2", self.index(k)["Promote lp_multi 1.0"])
            self.assertEqual(self.serial(k), 2)
        # --kernel: that index alone.
        self.channel("--ring", "wave-3", "--kernel", KERNEL, "promote", "lp_multi")
        self.assertIn("wave-3", self.index(KERNEL)["Promote lp_multi 1.0"])
        self.assertNotIn("wave-3", self.index(OTHER_KERNEL)["Promote lp_multi 1.0"])
        self.assert_verifies()

    def test_recall(self):
        m = self.make_patch("lp_rec", "1.0")
        self.add(m)
        self.channel("--ring", "wave-1", "promote", "lp_rec")
        p = self.channel("--reason", "hangs nfsd under load", "recall", "lp_rec", "1.0")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        recall = self.index()["Recall lp_rec 1.0"]
        self.assertEqual(recall["Reason"], "hangs nfsd under load")
        self.assertRegex(recall["Time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(self.serial(), 3)
        self.assert_verifies()

        before = tree(self.ch)
        p = self.channel("--reason", "again", "recall", "lp_rec", "1.0")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(tree(self.ch), before)
        # A recalled version is neither promoted nor added again.
        self.assert_unchanged_by(before, self.channel("--ring", "wave-2", "promote", "lp_rec", "1.0"))
        self.assert_unchanged_by(before, self.channel("add", m))
        # Not published: named with --kernel only.
        self.assert_unchanged_by(before, self.channel("--reason", "x", "recall", "lp_other", "2.0"), "NoSuchPatch")
        self.assert_unchanged_by(before, self.channel("recall", "lp_rec", "1.0"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--reason", "", "recall", "lp_rec", "1.0"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--reason", "two\nlines", "recall", "lp_rec", "1.0"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--reason", "x" * 1025, "recall", "lp_rec", "1.0"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--reason", "x", "recall", "lp_rec"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--reason", "x", "recall", "LP", "1.0"), status=EXIT_USAGE)
        p = self.channel("--reason", "came by hand", "--kernel", KERNEL, "recall", "lp_other", "2.0")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("Recall lp_other 2.0", self.index())
        self.assert_verifies()

    def test_resign(self):
        self.add(self.make_patch("lp_res", "1.0"))
        idx = self.index()
        sigs = os.path.join(self.ch, "kernels", KERNEL, "signatures")
        old_sigs = set(os.listdir(sigs))
        p = self.channel("--valid-days", "1", "resign")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        new = self.index()
        self.assertEqual(new["Index"]["Serial"], "2")
        self.assertEqual(new["Patch lp_res 1.0"], idx["Patch lp_res 1.0"])
        issued, expires = new["Index"]["Issued"], new["Index"]["Expires"]
        form = "%Y-%m-%dT%H:%M:%SZ"
        day = datetime.datetime.strptime(issued, form) + datetime.timedelta(days=1)
        self.assertEqual(expires, day.strftime(form))
        # A host that read the old index still finds its signature.
        self.assertTrue(old_sigs < set(os.listdir(sigs)))
        self.assert_verifies()
        # An hour after it was replaced, it is removed; the current one never is.
        current = os.path.basename(self.signature_path())
        (old,) = old_sigs
        hours_ago = os.path.getmtime(os.path.join(sigs, old)) - 2 * 3600
        os.utime(os.path.join(sigs, old), (hours_ago, hours_ago))
        os.utime(os.path.join(sigs, current), (hours_ago, hours_ago))
        self.channel("resign")
        left = set(os.listdir(sigs))
        self.assertNotIn(old, left)
        self.assertIn(current, left)  # replaced just now
        self.assertEqual(len(left), 2)
        self.assert_verifies()
        # Every kernel's index, or --kernel's.
        self.add(self.make_patch("lp_res", "1.0", kernel=OTHER_KERNEL))
        self.channel("resign")
        self.assertEqual((self.serial(KERNEL), self.serial(OTHER_KERNEL)), (4, 2))
        self.channel("--kernel", OTHER_KERNEL, "resign")
        self.assertEqual((self.serial(KERNEL), self.serial(OTHER_KERNEL)), (4, 3))
        before = tree(self.ch)
        self.assert_unchanged_by(before, self.channel("--valid-days", "0", "resign"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--valid-days", "367", "resign"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("resign", "extra"), status=EXIT_USAGE)

    def test_cost_does_not_grow_with_other_kernels(self):
        self.add(self.make_patch("lp_cost", "1.0"))
        size = os.path.getsize(self.index_path())
        for i in range(3):
            self.add(self.make_patch("lp_cost", "1.0", kernel=f"6.1.0-other-{i}"))
        self.assertEqual(os.path.getsize(self.index_path()), size)
        self.assert_verifies()

    # --- add's refusals: nothing is published ---------------------------------

    def test_add_refusals(self):
        self.add(self.make_patch("lp_ok", "1.0"))
        before = tree(self.ch)

        rogue = self.make_patch("lp_rogue", "1.0", signer="rogue-signer")
        self.assert_unchanged_by(before, self.channel("add", rogue), "UntrustedSigner")

        email = self.make_patch("lp_email", "1.0", signer="email-signer")
        self.assert_unchanged_by(before, self.channel("add", email), "WrongPurpose")

        expired_cert = self.make_patch("lp_expcert", "1.0", signer="expired-signer")
        self.assert_unchanged_by(before, self.channel("add", expired_cert), "CertificateExpired")

        expired = self.make_patch("lp_expired", "1.0", extra=("--issued", "2020-01-01T00:00:00Z",
                                                              "--expires", "2020-02-01T00:00:00Z"))
        self.assert_unchanged_by(before, self.channel("add", expired), "Expired")

        other = self.make_patch("lp_signer", "1.0")
        self.assert_unchanged_by(before, self.channel("--signer", "somebody else", "add", other), "SignerNotAllowed")

        tampered = self.make_patch("lp_tampered", "1.0")
        with open(tampered, "a") as f:
            f.write("# appended\n")
        self.assert_unchanged_by(before, self.channel("add", tampered), "BadSignature")

        module_changed = self.make_patch("lp_module", "1.0")
        with open(os.path.join(os.path.dirname(module_changed), "lp_module.ko"), "ab") as f:
            f.write(b"\0")
        self.assert_unchanged_by(before, self.channel("add", module_changed), "DigestMismatch")

        no_sig = self.make_patch("lp_nosig", "1.0")
        os.unlink(no_sig + ".p7s")
        self.assert_unchanged_by(before, self.channel("add", no_sig))

        no_module = self.make_patch("lp_nomod", "1.0")
        os.unlink(os.path.join(os.path.dirname(no_module), "lp_nomod.ko"))
        self.assert_unchanged_by(before, self.channel("add", no_module))

        self.assert_unchanged_by(before, self.channel("add", os.path.join(self.dir, "missing.manifest")))

        # The same version with other files (here, signed again) is refused.
        again = self.make_patch("lp_ok", "1.0", extra=("--description", "rebuilt"))
        self.assert_unchanged_by(before, self.channel("add", again))

        # Without the key, a key not the certificate's, or no --trust-dir.
        fresh = self.make_patch("lp_fresh", "1.0")
        self.assert_unchanged_by(before, run(CHANNEL, "-C", self.ch, "--trust-dir", self.trust, "add", fresh), status=EXIT_USAGE)
        self.assert_unchanged_by(before, run(CHANNEL, "-C", self.ch, "--trust-dir", self.trust,
                                             "--key", os.path.join(self.pki, "signer.key"),
                                             "--cert", os.path.join(self.pki, "rogue-signer.pem"), "add", fresh))
        self.assert_unchanged_by(before, run(CHANNEL, "-C", self.ch, *self.key(), "add", fresh), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("add"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("frobnicate"), status=EXIT_USAGE)
        self.assert_unchanged_by(before, self.channel("--no-such-option", "add", fresh), status=EXIT_USAGE)
        # Not a channel.
        p = run(CHANNEL, "-C", os.path.join(self.dir, "nowhere"), *self.key(), "--trust-dir", self.trust, "add", fresh)
        self.assert_refused(p)
        self.assert_verifies()

    # --- verify's refusals: each attack on a published channel ----------------

    def published(self):
        m = self.make_patch("lp_v", "1.0")
        self.add(m)
        self.channel("--ring", "wave-1", "promote", "lp_v")
        self.assert_verifies()
        return self.index()["Patch lp_v 1.0"]

    def signature_path(self, kernel=KERNEL):
        with open(self.index_path(kernel), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        return os.path.join(self.ch, "kernels", kernel, "signatures", digest + ".p7s")

    def assert_verify_refuses(self, error, *extra, signer=INDEX_SIGNER):
        for p in (self.verify(*extra, signer=signer), self.sync_verify(*extra, signer=signer)):
            self.assert_refused(p, error)

    def test_verify_tampered_index(self):
        self.published()
        with open(self.index_path()) as f:
            text = f.read()
        sig = self.signature_path()
        # A promotion moved to another ring, the signature kept: it no longer
        # matches (and under its digest's name there is none).
        with open(self.index_path(), "w") as f:
            f.write(text.replace("wave-1=", "wave-9="))
        self.assert_verify_refuses("Unsigned")
        shutil.copy(sig, self.signature_path())
        self.assert_verify_refuses("BadSignature")

    def test_verify_wrong_signer(self):
        self.published()
        self.assert_verify_refuses("SignerNotAllowed", signer=PATCH_SIGNER)
        # An index signed by the patch key is not an index signer's.
        self.channel("resign", who="signer")
        self.assert_verify_refuses("SignerNotAllowed")
        self.channel("resign", who="rogue-signer")
        self.assert_verify_refuses("UntrustedSigner")

    def test_verify_mix_and_match(self):
        entry = self.published()
        module = os.path.join(self.ch, entry["Module"])
        with open(module, "rb") as f:
            data = f.read()
        # Same size, other bytes.
        with open(module, "wb") as f:
            f.write(bytes([data[0] ^ 1]) + data[1:])
        self.assert_verify_refuses("ArtifactMismatch")
        # Longer (endless data) and shorter (a truncated body).
        with open(module, "wb") as f:
            f.write(data + b"more")
        self.assert_verify_refuses("ArtifactMismatch")
        with open(module, "wb") as f:
            f.write(data[:-1])
        self.assert_verify_refuses("ArtifactMismatch")
        with open(module, "wb") as f:
            f.write(data)
        self.assert_verifies()
        # Another version's manifest in place of this one's.
        other = self.make_patch("lp_v", "2.0")
        shutil.copy(other, os.path.join(self.ch, entry["Manifest"]))
        self.assert_verify_refuses("ArtifactMismatch")

    def test_verify_wrong_kernel(self):
        self.published()
        other = os.path.join(self.ch, "kernels", OTHER_KERNEL)
        os.makedirs(os.path.join(other, "signatures"))
        shutil.copy(self.index_path(), os.path.join(other, "index"))
        shutil.copy(self.signature_path(), self.signature_path(OTHER_KERNEL))
        p = self.sync_verify("--kernel", OTHER_KERNEL)
        self.assert_refused(p, "IndexWrongKernel")
        self.assert_refused(self.verify(), "IndexWrongKernel")
        # The host's own kernel alone still verifies.
        self.assertEqual(self.sync_verify("--kernel", KERNEL).returncode, EXIT_OK)

    def test_verify_expired(self):
        self.published()
        self.channel("--valid-days", "1", "resign")
        expires = self.index()["Index"]["Expires"]
        self.assert_refused(self.sync_verify("--now", expires), "IndexExpired")
        self.assertEqual(self.sync_verify("--now", self.index()["Index"]["Issued"]).returncode, EXIT_OK)

    def test_verify_usage(self):
        self.published()
        self.assert_refused(run(SYNC, "verify-channel", "--trust-dir", self.trust, self.ch), status=EXIT_USAGE)
        self.assert_refused(run(CHANNEL, "-C", self.ch, "--trust-dir", self.trust, "verify"), status=EXIT_USAGE)
        self.assert_refused(run(SYNC, "frobnicate", self.ch), status=EXIT_USAGE)
        self.assert_refused(run(SYNC, "verify-channel", "--index-signer", INDEX_SIGNER, "--now", "soon", self.ch), status=EXIT_USAGE)
        self.assert_refused(run(SYNC, "verify-channel", "--index-signer", INDEX_SIGNER, os.path.join(self.dir, "nowhere")))

    # --- a publish interrupted at each step ------------------------------------

    @unittest.skipUnless(shutil.which("strace"), "strace is not installed")
    def test_interrupted_publish(self):
        self.add(self.make_patch("lp_int", "1.0"))
        m = self.make_patch("lp_int", "1.1")
        # add renames five files: the module, the manifest's signature, the
        # manifest, the index's signature and, last, the index.
        for when in range(1, 6):
            with self.subTest(killed_at_rename=when):
                with open(self.index_path(), "rb") as f:
                    old = f.read()
                p = run("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat,rename,renameat2",
                        "-e", f"inject=renameat,rename,renameat2:signal=KILL:when={when}",
                        CHANNEL, "-C", self.ch, *self.key(), "--trust-dir", self.trust, "add", m)
                self.assertNotEqual(p.returncode, EXIT_OK, p.stdout + p.stderr)
                with open(self.index_path(), "rb") as f:
                    self.assertEqual(f.read(), old, "the index changed though its rename never happened")
                self.assertEqual(self.serial(), 1)
                self.assertNotIn("Patch lp_int 1.1", self.index())
                self.assert_verifies()
        # Run again, it completes.
        self.add(m)
        self.assertIn("Patch lp_int 1.1", self.index())
        self.assertEqual(self.serial(), 2)
        self.assert_verifies()

    def test_changes_start_from_a_signed_index(self):
        self.add(self.make_patch("lp_base", "1.0"))
        self.channel("--reason", "bad", "recall", "lp_base", "1.0")
        p = self.channel("--index-signer", INDEX_SIGNER, "resign")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        with open(self.index_path()) as f:
            text = f.read()
        # Someone with write access to the tree drops the recall; its
        # signature is gone with it (none under the new digest's name).
        start = text.index("[Recall lp_base 1.0]")
        with open(self.index_path(), "w") as f:
            f.write(text[:start])
        before = tree(self.ch)
        # With the index signers named, the publisher refuses to sign it again.
        self.assert_unchanged_by(before, self.channel("--index-signer", INDEX_SIGNER, "resign"), "Unsigned")
        shutil.copy(os.path.join(self.ch, "kernels", KERNEL, "signatures", os.listdir(os.path.join(self.ch, "kernels", KERNEL, "signatures"))[0]),
                    self.signature_path())
        before = tree(self.ch)
        self.assert_unchanged_by(before, self.channel("--index-signer", INDEX_SIGNER, "resign"), "BadSignature")
        self.assert_unchanged_by(before, self.channel("--index-signer", PATCH_SIGNER, "resign"))

    # --- deb: one kernel's part of the channel as a package -------------------

    @unittest.skipUnless(shutil.which("dpkg-deb"), "dpkg-deb is not installed")
    def test_deb(self):
        self.add(self.make_patch("lp_deb", "1.0"))
        self.add(self.make_patch("lp_deb", "1.1"))
        self.channel("--reason", "bad", "recall", "lp_deb", "1.0")
        self.add(self.make_patch("lp_deb", "1.0", kernel=OTHER_KERNEL))
        out = os.path.join(self.dir, "debs")
        os.mkdir(out)
        p = run(CHANNEL, "-C", self.ch, "--output-dir", out, "--architecture", "amd64", "deb", KERNEL)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        deb = os.path.join(out, f"lpmaint-patches-{KERNEL}_3_amd64.deb")
        self.assertEqual(p.stdout.strip(), deb)
        fields = run("dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends", check=True).stdout
        self.assertEqual(fields.splitlines(), [f"Package: lpmaint-patches-{KERNEL}", "Version: 3",
                                               "Architecture: amd64", "Depends: lpmaint"])
        # No maintainer script: the agent applies, never root.
        control = os.path.join(self.dir, "control")
        run("dpkg-deb", "-e", deb, control, check=True)
        self.assertEqual(os.listdir(control), ["control"])
        # This kernel's index, its signature and every file it lists, nothing of the other kernel.
        root = os.path.join(self.dir, "root")
        run("dpkg-deb", "-x", deb, root, check=True)
        installed = os.path.join(root, "usr/lib/lpmaint/channel")
        with open(self.index_path(), "rb") as f, open(os.path.join(installed, "kernels", KERNEL, "index"), "rb") as g:
            self.assertEqual(f.read(), g.read())
        self.assertFalse(os.path.exists(os.path.join(installed, "kernels", OTHER_KERNEL)))
        self.assertFalse(os.path.exists(os.path.join(installed, "patches", OTHER_KERNEL)))
        files = {k for k in tree(installed)}
        self.assertEqual(len(files), 2 + 3 * 2)
        p = run(SYNC, "verify-channel", "--trust-dir", self.trust, "--index-signer", INDEX_SIGNER, installed)
        self.assertEqual(p.returncode, EXIT_OK, p.stdout + p.stderr)

        # Another install directory.
        p = run(CHANNEL, "-C", self.ch, "--output-dir", out, "--architecture", "amd64", "--install-dir", "/srv/lp", "deb", KERNEL)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("./srv/lp/kernels/", run("dpkg-deb", "-c", deb, check=True).stdout)

        # Refusals: no package is written.
        before = set(os.listdir(out))
        for args in ((OTHER_KERNEL + "-none",), ("--install-dir", "relative", KERNEL), ("--install-dir", "/a/../b", KERNEL),
                     ("--maintainer", "x\nEssential: yes", KERNEL), ("--architecture", "AMD64", KERNEL)):
            with self.subTest(args=args):
                p = run(CHANNEL, "-C", self.ch, "--output-dir", out, *args[:-1], "deb", args[-1])
                self.assert_refused(p)
        self.assert_refused(run(CHANNEL, "-C", self.ch, "deb"), status=EXIT_USAGE)
        self.assertEqual(set(os.listdir(out)), before)
        # A kernel release that cannot name a package.
        upper = "6.1.0-Lpmaint"
        self.add(self.make_patch("lp_deb", "1.0", kernel=upper))
        self.assert_refused(run(CHANNEL, "-C", self.ch, "--output-dir", out, "deb", upper))
        # A file that is not what the index says is not packaged.
        entry = self.index()["Patch lp_deb 1.1"]
        with open(os.path.join(self.ch, entry["Module"]), "ab") as f:
            f.write(b"x")
        self.assert_refused(run(CHANNEL, "-C", self.ch, "--output-dir", out, "--architecture", "amd64", "deb", KERNEL),
                            "ArtifactMismatch")

    def test_one_publisher_at_a_time(self):
        self.add(self.make_patch("lp_lock", "1.0"))
        before = tree(self.ch)
        # flock(1) holds the channel directory's lock as lpmaint-channel takes it.
        p = run("flock", "-n", self.ch, CHANNEL, "-C", self.ch, *self.key(), "resign")
        self.assert_refused(p)
        self.assertIn("another", p.stderr)
        self.assertEqual(tree(self.ch), before)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    CHANNEL, SYNC, TOOLS = (os.path.abspath(a) for a in sys.argv[1:4])
    unittest.main(argv=[sys.argv[0]] + sys.argv[4:], verbosity=2)
