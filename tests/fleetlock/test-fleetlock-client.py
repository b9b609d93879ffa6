#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Drives the real lpmaint-fleetlock against tests/fleetlock/fleetlock-server.py
on 127.0.0.1: locking, refusal while another host holds the slot, release,
groups, the exact request, and every kind of failure with its exit status.

Usage: test-fleetlock-client.py LPMAINT-FLEETLOCK FLEETLOCK-SERVER.PY
(meson test --suite fleetlock runs it.)
"""

import hashlib
import hmac
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

CLIENT = None
SERVER = None

# Must equal FLEETLOCK_APP_ID in fleetlock/lpmaint-fleetlock.c.
APP_ID = "7db98ea6cccd4c84b460520458108f1f"

EXIT_DONE, EXIT_REFUSED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

# Nothing here may leave the host: no proxy from the environment applies.
CLIENT_ENV = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
CLIENT_ENV["no_proxy"] = "*"
CLIENT_ENV["LC_ALL"] = "C"

NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FleetlockServer:
    def __init__(self, slots=1):
        self.dir = tempfile.TemporaryDirectory(prefix="fleetlock-test-")
        self.state_file = os.path.join(self.dir.name, "state.json")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--slots", str(slots), "--state-file", self.state_file],
            stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        if not ready:
            self.stop()
            raise RuntimeError("the test server did not start within 20 s")
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the test server printed {self.url!r}, not its URL")

    def state(self):
        with NO_PROXY_OPENER.open(self.url + "/state", timeout=10) as r:
            return json.load(r)

    def holders(self, group="default"):
        return self.state()["groups"].get(group, [])

    def last_request(self):
        return self.state()["requests"][-1]

    def post(self, path, body, headers):
        """A raw request, for the server's own checks: (status, parsed body)."""
        req = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with NO_PROXY_OPENER.open(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.dir.cleanup()


def run(*args, timeout=60):
    p = subprocess.run([CLIENT, *args], env=CLIENT_ENV, capture_output=True, text=True,
                       timeout=timeout, check=False)
    # With sanitizers a report must fail the test even if the status happens to match.
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert marker not in p.stderr, p.stderr
    return p


class Case(unittest.TestCase):
    slots = 1

    def setUp(self):
        self.server = FleetlockServer(self.slots)
        self.addCleanup(self.server.stop)

    def client(self, op, host, *extra, expect, base=None):
        p = run("--url", base or self.server.url, "--id", host, *extra, op)
        self.assertEqual(p.returncode, expect, f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p


class TestLocking(Case):
    def test_lock_refuse_release_relock(self):
        p = self.client("pre-reboot", "host-a", expect=EXIT_DONE)
        self.assertIn("host-a", p.stdout)
        self.assertEqual(self.server.holders(), ["host-a"])

        # RecursiveLock: the holder gets it again, and still holds one slot.
        self.client("pre-reboot", "host-a", expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), ["host-a"])

        p = self.client("pre-reboot", "host-b", expect=EXIT_REFUSED)
        self.assertIn("failed_lock_semaphore_full", p.stderr)
        self.assertIn("held (by host-a)", p.stderr)  # the server's value, printed
        self.assertIn("HTTP 409", p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(self.server.holders(), ["host-a"])

        # UnlockIfHeld: releasing a slot one does not hold succeeds and
        # takes nobody else's.
        self.client("steady-state", "host-b", expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), ["host-a"])

        self.client("steady-state", "host-a", expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), [])
        self.client("steady-state", "host-a", expect=EXIT_DONE)

        self.client("pre-reboot", "host-b", expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), ["host-b"])
        self.client("pre-reboot", "host-a", expect=EXIT_REFUSED)

    def test_groups_are_separate(self):
        self.client("pre-reboot", "host-a", expect=EXIT_DONE)
        self.client("pre-reboot", "host-c", "--group", "workers", expect=EXIT_DONE)
        p = self.client("pre-reboot", "host-d", "--group", "workers", expect=EXIT_REFUSED)
        self.assertIn("failed_lock_semaphore_full", p.stderr)
        self.client("pre-reboot", "host-e", "--group", "db.eu-1", expect=EXIT_DONE)
        state = self.server.state()["groups"]
        self.assertEqual(state, {"default": ["host-a"], "workers": ["host-c"], "db.eu-1": ["host-e"]})

        # A release in one group leaves the other alone, even for the same id.
        self.client("steady-state", "host-c", expect=EXIT_DONE)
        self.assertEqual(self.server.holders("workers"), ["host-c"])
        self.client("steady-state", "host-c", "--group", "workers", expect=EXIT_DONE)
        self.client("pre-reboot", "host-d", "--group", "workers", expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), ["host-a"])

    def test_request_is_the_protocols(self):
        self.client("pre-reboot", "host-a", "--group", "workers", expect=EXIT_DONE)
        req = self.server.last_request()
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/v1/pre-reboot")
        self.assertEqual(req["headers"]["fleet-lock-protocol"], "true")
        self.assertEqual(req["headers"]["content-type"], "application/json")
        self.assertEqual(req["body"], '{"client_params":{"id":"host-a","group":"workers"}}')

        # Trailing slashes of the base URL do not double the separator.
        self.client("steady-state", "host-a", "--group", "workers", expect=EXIT_DONE,
                    base=self.server.url + "//")
        self.assertEqual(self.server.last_request()["path"], "/v1/steady-state")

    def test_id_is_json_escaped(self):
        odd = 'a"b\\c{}/\'x'
        self.client("pre-reboot", odd, expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), [odd])
        body = self.server.last_request()["body"]
        self.assertEqual(json.loads(body), {"client_params": {"id": odd, "group": "default"}})
        self.client("steady-state", odd, expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), [])

    def test_default_id_is_app_specific(self):
        try:
            with open("/etc/machine-id", encoding="ascii") as f:
                machine_id = f.read().strip()
            machine = bytes.fromhex(machine_id)
        except (OSError, ValueError):
            self.skipTest("no usable /etc/machine-id")
        if len(machine) != 16:
            self.skipTest("no usable /etc/machine-id")

        # sd_id128_get_machine_app_specific(): HMAC-SHA256 keyed with the
        # machine id over the application id, cut to 128 bits, marked as a
        # version 4 UUID.
        h = bytearray(hmac.new(machine, bytes.fromhex(APP_ID), hashlib.sha256).digest()[:16])
        h[6] = (h[6] & 0x0F) | 0x40
        h[8] = (h[8] & 0x3F) | 0x80
        expected = h.hex()

        p = run("--url", self.server.url, "pre-reboot")
        self.assertEqual(p.returncode, EXIT_DONE, p.stderr)
        self.assertEqual(self.server.holders(), [expected])
        self.assertNotIn(machine_id, json.dumps(self.server.state()))

        p = run("--url", self.server.url, "steady-state")
        self.assertEqual(p.returncode, EXIT_DONE, p.stderr)
        self.assertEqual(self.server.holders(), [])


class TestSlots(Case):
    slots = 2

    def test_two_slots(self):
        self.client("pre-reboot", "host-a", expect=EXIT_DONE)
        self.client("pre-reboot", "host-b", expect=EXIT_DONE)
        p = self.client("pre-reboot", "host-c", expect=EXIT_REFUSED)
        self.assertIn("all 2 slots", p.stderr)
        self.client("steady-state", "host-a", expect=EXIT_DONE)
        self.client("pre-reboot", "host-c", expect=EXIT_DONE)
        self.assertEqual(self.server.holders(), ["host-b", "host-c"])


class TestServerChecks(Case):
    """The test server follows the protocol too: what it refuses, and how."""

    BODY = b'{"client_params":{"id":"host-a","group":"default"}}'

    def test_header_required(self):
        status, err = self.server.post("/v1/pre-reboot", self.BODY, {"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertEqual(err["kind"], "failed_header_check")
        self.assertTrue(err["value"])
        status, err = self.server.post("/v1/pre-reboot", self.BODY, {"fleet-lock-protocol": "false"})
        self.assertEqual(status, 400)
        self.assertEqual(self.server.holders(), [])

    def test_bad_bodies(self):
        headers = {"fleet-lock-protocol": "true"}
        for body in (b"{", b"[]", b'{"client_params":{}}', b'{"client_params":{"id":"","group":"default"}}',
                     b'{"client_params":{"id":"a","group":"no spaces"}}', b"\xff"):
            status, err = self.server.post("/v1/pre-reboot", body, headers)
            self.assertEqual(status, 400, body)
            self.assertEqual(set(err), {"kind", "value"}, body)
            self.assertIn(err["kind"], ("failed_body_parse", "failed_body_validation"), body)
        self.assertEqual(self.server.holders(), [])

    def test_success(self):
        status, _ = self.server.post("/v1/pre-reboot", self.BODY, {"fleet-lock-protocol": "true"})
        self.assertEqual(status, 200)
        self.assertEqual(self.server.holders(), ["host-a"])


class TestFailures(Case):
    def test_no_server(self):
        # A bound socket that does not listen: connections to it are refused
        # for as long as it is open, so no other test can take the port.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            p = self.client("pre-reboot", "host-a", expect=EXIT_FAILED, base=f"http://127.0.0.1:{port}")
        self.assertIn("Failed to reach", p.stderr)

    def test_not_a_fleetlock_answer(self):
        for prefix, words in (("garbage", "HTTP 500"), ("bad-error", "HTTP 409"), ("created", "HTTP 201")):
            p = self.client("pre-reboot", "host-a", expect=EXIT_FAILED, base=f"{self.server.url}/{prefix}")
            self.assertIn(words, p.stderr)
            self.assertIn("no FleetLock answer", p.stderr)
            self.assertNotIn("\x1b", p.stderr)  # the server's text is printed defanged

    def test_answer_size_is_capped(self):
        p = self.client("pre-reboot", "host-a", expect=EXIT_FAILED, base=f"{self.server.url}/huge")
        self.assertIn("larger than 64 KiB", p.stderr)

    def test_timeout(self):
        start = time.monotonic()
        p = self.client("pre-reboot", "host-a", "--timeout", "1", expect=EXIT_FAILED,
                        base=f"{self.server.url}/stall")
        self.assertLess(time.monotonic() - start, 15)
        self.assertIn("Timed out", p.stderr)

    def test_redirects(self):
        # Within the scheme: followed, with the same POST.
        self.client("pre-reboot", "host-a", expect=EXIT_DONE, base=f"{self.server.url}/redirect-http")
        self.assertEqual(self.server.holders(), ["host-a"])
        last = self.server.last_request()
        self.assertEqual((last["method"], last["path"]), ("POST", "/v1/pre-reboot"))
        self.assertEqual(json.loads(last["body"])["client_params"]["id"], "host-a")

        # To another scheme: refused before any request goes there.
        n = len(self.server.state()["requests"])
        p = self.client("steady-state", "host-a", expect=EXIT_FAILED, base=f"{self.server.url}/redirect-https")
        self.assertIn("another scheme", p.stderr)
        self.assertEqual(len(self.server.state()["requests"]), n + 1)
        self.assertEqual(self.server.holders(), ["host-a"])

        p = self.client("steady-state", "host-a", expect=EXIT_FAILED, base=f"{self.server.url}/redirect-loop")
        self.assertIn("More than 5 redirects", p.stderr)


class TestUsage(unittest.TestCase):
    URL = "http://127.0.0.1:9"  # never contacted: every case is refused first

    def usage(self, *args):
        p = run(*args)
        self.assertEqual(p.returncode, EXIT_USAGE, f"{args}: {p.stderr}")
        self.assertIn("see --help", p.stderr)
        self.assertEqual(p.stdout, "")
        return p

    def test_help(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        for word in ("pre-reboot", "steady-state", "--url", "--group", "--id", "--timeout", "Exit status"):
            self.assertIn(word, p.stdout)
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("lpmaint-fleetlock "))

    def test_commands(self):
        self.usage()
        self.usage("--url", self.URL)
        self.usage("--url", self.URL, "reboot")
        self.usage("--url", self.URL, "pre-reboot", "steady-state")
        self.usage("--url", self.URL, "--bogus", "pre-reboot")
        self.usage("--url", self.URL, "-x", "pre-reboot")
        self.usage("pre-reboot")  # no --url
        self.usage("--url")

    def test_urls(self):
        for url in ("ftp://127.0.0.1/", "file:///etc/passwd", "127.0.0.1:8080", "", "http://",
                    "http:///path", "http://:8080", "http://user:pw@127.0.0.1/", "http://127.0.0.1/?a=b",
                    "http://127.0.0.1/#x", "http://127.0.0.1/a b", "http://127.0.0.1/\u00e9",
                    "http://127.0.0.1/" + "a" * 2048):
            p = self.usage("--url", url, "pre-reboot")
            self.assertIn("--url", p.stderr)
        # Scheme names are case-insensitive (RFC 3986), and an unreachable
        # valid URL is no usage error.
        p = run("--url", "HTTP://127.0.0.1:9", "--id", "h", "--timeout", "5", "pre-reboot")
        self.assertEqual(p.returncode, EXIT_FAILED, p.stderr)

    def test_ids_groups_timeouts(self):
        for group in ("", "a b", "a_b", "a/b", "ä", "g" * 256):
            self.usage("--url", self.URL, "--group", group, "pre-reboot")
        for node in ("", "a b", "a\tb", "a\nb", "\u00e9", "i" * 256):
            self.usage("--url", self.URL, "--id", node, "pre-reboot")
        for timeout in ("0", "-1", "x", "1.5", " 5", "3601", "99999999999999999999"):
            self.usage("--url", self.URL, "--timeout", timeout, "pre-reboot")


def main():
    global CLIENT, SERVER  # pylint: disable=global-statement
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    CLIENT, SERVER = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
