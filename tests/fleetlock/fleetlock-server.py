#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A FleetLock server for tests, after the protocol document of Zincati
(docs/development/fleetlock/protocol.md) and airlock.

Per reboot group, a counting semaphore of --slots slots owned by client ids:

  POST /v1/pre-reboot    RecursiveLock: take a slot; 200 again for an id that
                         holds one already; 409 failed_lock_semaphore_full when
                         other ids hold all of them
  POST /v1/steady-state  UnlockIfHeld: release the id's slot; 200 also when it
                         holds none

Both need the header "fleet-lock-protocol: true" and the body
{"client_params": {"id": "...", "group": "..."}} (id a non-empty string, group
matching ^[a-zA-Z0-9.-]+$). Every error is the protocol's error value
{"kind": "...", "value": "..."} with a 4xx or 5xx status.

For tests:
  GET /state             {"slots": N, "groups": {GROUP: [ID, ...]},
                          "requests": [{"method", "path", "headers", "body"}]},
                         the requests being every one received, oldest first
  --state-file FILE      the same document, rewritten after every request

Fault injection, by a prefix before the protocol's path (the base URL of a
test is then http://127.0.0.1:PORT/PREFIX):
  /redirect-http/...     308 to the same path without the prefix, same server
  /redirect-https/...    308 to https://127.0.0.1:PORT/ and the path
  /redirect-loop/...     308 to itself
  /garbage/...           500 with a body that is not JSON
  /bad-error/...         409 with JSON lacking "value"
  /huge/...              409 with a 1 MiB body
  /stall/...             no answer for 60 s
  /created/...           201 (not the protocol's success) with an empty body

It listens on 127.0.0.1 only, on --port or a free port, and prints its base
URL (http://127.0.0.1:PORT) on a line of its own when it accepts requests.
SIGTERM or SIGINT stop it.
"""

import argparse
import http.server
import json
import os
import re
import signal
import sys
import threading
import time

GROUP_RE = re.compile(r"^[a-zA-Z0-9.-]+$")
BODY_MAX = 64 * 1024

PREFIXES = ("redirect-http", "redirect-https", "redirect-loop", "garbage",
            "bad-error", "huge", "stall", "created")


class State:
    def __init__(self, slots, state_file):
        self.lock = threading.Lock()
        self.slots = slots
        self.state_file = state_file
        self.groups = {}      # group -> [id, ...], in the order they locked
        self.requests = []

    def document(self):
        return {"slots": self.slots,
                "groups": {g: list(ids) for g, ids in self.groups.items() if ids},
                "requests": list(self.requests)}

    def save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.document(), f, indent=2, sort_keys=True)
        os.replace(tmp, self.state_file)


class ProtocolError(Exception):
    def __init__(self, status, kind, value):
        super().__init__(value)
        self.status, self.kind, self.value = status, kind, value


def parse_client_params(raw):
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(400, "failed_body_parse", f"the body is not JSON: {e}") from e
    params = doc.get("client_params") if isinstance(doc, dict) else None
    if not isinstance(params, dict):
        raise ProtocolError(400, "failed_body_validation", "client_params is not an object")
    node, group = params.get("id"), params.get("group")
    if not isinstance(node, str) or not node:
        raise ProtocolError(400, "failed_body_validation", "client_params.id is not a non-empty string")
    if not isinstance(group, str) or not GROUP_RE.match(group):
        raise ProtocolError(400, "failed_body_validation", "client_params.group does not match ^[a-zA-Z0-9.-]+$")
    return node, group


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "lpmaint-fleetlock-test-server/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        sys.stderr.write("fleetlock-server: " + (format % args) + "\n")

    def send(self, status, body=b"", content_type="application/json", extra_headers=()):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that stops reading (a size cap) is not our error

    def send_error_value(self, status, kind, value):
        self.send(status, json.dumps({"kind": kind, "value": value}).encode())

    def read_body(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise ProtocolError(411, "failed_body_length", "a Content-Length is required")
        if int(length) > BODY_MAX:
            raise ProtocolError(413, "failed_body_length", "the body is too large")
        return self.rfile.read(int(length))

    def record(self, body):
        state = self.server.state
        with state.lock:
            state.requests.append({
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
            state.save()

    def do_GET(self):  # pylint: disable=invalid-name
        if self.path == "/state":
            with self.server.state.lock:
                doc = self.server.state.document()
            self.send(200, json.dumps(doc, sort_keys=True).encode())
        else:
            self.send_error_value(404, "not_found", "no such endpoint")

    def do_POST(self):  # pylint: disable=invalid-name
        try:
            body = self.read_body()
        except ProtocolError as e:
            self.send_error_value(e.status, e.kind, e.value)
            return
        self.record(body)

        path = self.path
        prefix = path.split("/")[1] if path.count("/") >= 2 else ""
        if prefix in PREFIXES:
            self.fault(prefix, path[len(prefix) + 1:])
            return

        try:
            self.operation(path, body)
        except ProtocolError as e:
            self.send_error_value(e.status, e.kind, e.value)

    def operation(self, path, body):
        if path not in ("/v1/pre-reboot", "/v1/steady-state"):
            raise ProtocolError(404, "not_found", "no such endpoint")
        # The header shows the request was meant for a FleetLock server and
        # is not a redirected or cross-site one.
        if self.headers.get("fleet-lock-protocol", "").strip() != "true":
            raise ProtocolError(400, "failed_header_check", "the header fleet-lock-protocol: true is missing")
        node, group = parse_client_params(body)

        state = self.server.state
        with state.lock:
            holders = state.groups.setdefault(group, [])
            if path == "/v1/pre-reboot":
                if node not in holders:
                    if len(holders) >= state.slots:
                        raise ProtocolError(
                            409, "failed_lock_semaphore_full",
                            f"semaphore full: all {state.slots} slots of group {group} are held "
                            f"(by {', '.join(holders)})")
                    holders.append(node)
            elif node in holders:
                holders.remove(node)
            state.save()
        self.send(200)

    def fault(self, prefix, rest):
        port = self.server.server_address[1]
        if prefix == "redirect-http":
            self.send(308, extra_headers=[("Location", rest)])
        elif prefix == "redirect-https":
            self.send(308, extra_headers=[("Location", f"https://127.0.0.1:{port}{rest}")])
        elif prefix == "redirect-loop":
            self.send(308, extra_headers=[("Location", self.path)])
        elif prefix == "garbage":
            self.send(500, b"<html>\x1b[31mInternal error\x1b[0m</html>\n", "text/html")
        elif prefix == "bad-error":
            self.send(409, json.dumps({"kind": "failed_lock_semaphore_full"}).encode())
        elif prefix == "huge":
            value = "x" * (1024 * 1024)
            self.send(409, json.dumps({"kind": "failed_lock_semaphore_full", "value": value}).encode())
        elif prefix == "stall":
            time.sleep(60)
            self.send(200)
        elif prefix == "created":
            self.send(201)

    def do_PUT(self):  # pylint: disable=invalid-name
        self.send_error_value(405, "method_not_allowed", "only POST is allowed")

    do_DELETE = do_PUT


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--slots", type=int, default=1, help="slots per group (default: 1)")
    parser.add_argument("--state-file", help="rewrite this JSON file with the state after every request")
    args = parser.parse_args()
    if args.slots < 1:
        parser.error("--slots must be at least 1")

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args.slots, args.state_file)
    server.state.save()

    def stop(signum, frame):
        # shutdown() waits for serve_forever(), which runs in this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
