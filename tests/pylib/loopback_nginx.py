# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real nginx (Debian's package) on 127.0.0.1 with TLS from a CA made by
openssl, for the tests that fetch from a server: tests/net (the fetch layer)
and tests/integration/test_sync*.py (the pull agent). Loopback only, free
ports picked by the kernel; nothing here may leave the host.

    pki = make_pki(dir)            ca, rogue-ca, server (127.0.0.1), wrong-host, client
    short = ShortBodyServer(sent, claimed)   a body cut short, for nginx to proxy
    nginx = Nginx(dir, SERVERS, ports=("https", "http"), pki=..., www=..., **more)
    nginx.url("/path"), nginx.access_log(), nginx.stop()

SERVERS is the text of nginx's server blocks, formatted with the ports by
name ({https}, {http}, ...) and the keywords given.
"""

import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

START_SEC = 15
STOP_SEC = 10


def free_port():
    """A port nothing listens on now (the kernel's choice; closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def make_pki(d):
    """In @d: ca (trusted by the tests), a server certificate for 127.0.0.1
    and localhost, one for wrong.example only, a client certificate, a rogue
    CA that signed nothing here, and garbage.pem. Returns @d."""
    os.makedirs(d, exist_ok=True)

    def key(name):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", f"{name}.key", cwd=d)

    def ca(name):
        key(name)
        openssl("req", "-x509", "-new", "-key", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                "-subj", f"/CN=lpmaint net test {name}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)

    def leaf(name, cn, san, usage):
        key(name)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                    f"extendedKeyUsage={usage}\n" + (f"subjectAltName={san}\n" if san else ""))
        openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)

    ca("ca")
    ca("rogue-ca")
    leaf("server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", "serverAuth")
    leaf("wrong-host", "wrong.example", "DNS:wrong.example", "serverAuth")
    leaf("client", "lpmaint-sync test host", None, "clientAuth")
    with open(os.path.join(d, "garbage.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    for name in os.listdir(d):
        if name.endswith(".pem"):
            os.chmod(os.path.join(d, name), 0o644)
    return d


class ShortBodyServer:
    """A tiny HTTP server that promises @claimed bytes, sends @sent and hangs
    up: nginx cannot send a Content-Length larger than what it sends, so it
    proxies this one for a body cut short."""

    def __init__(self, sent, claimed):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(claimed))
                self.end_headers()
                self.wfile.write(b"t" * sent)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/temp/body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
{servers}
}}
"""


class Nginx:
    """nginx in the foreground on free loopback ports (one per name in
    @ports), with @servers (see the module's text) under @d."""

    def __init__(self, d, servers, ports, **values):
        self.d = d
        self.ports = {name: free_port() for name in ports}
        os.makedirs(os.path.join(d, "temp"), exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=d, servers=servers.format(d=d, **values, **self.ports)))
        self.log = open(os.path.join(d, "nginx.out"), "w")
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SEC
        waiting = set(self.ports.values())
        while waiting:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.errors()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not listen within {START_SEC} s:\n{self.errors()}")
            for port in list(waiting):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        waiting.discard(port)
            time.sleep(0.05)

    def url(self, path, server="https"):
        scheme = "http" if server == "http" else "https"
        return f"{scheme}://127.0.0.1:{self.ports[server]}{path}"

    def access_log(self):
        """The access log's lines so far (nginx writes each as a request ends)."""
        try:
            with open(os.path.join(self.d, "access.log")) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def errors(self):
        text = ""
        for name in ("nginx.out", "error.log"):
            try:
                with open(os.path.join(self.d, name)) as f:
                    text += f.read()[-4000:]
            except OSError:
                pass
        return text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown
            try:
                self.proc.wait(STOP_SEC)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_SEC)
        self.log.close()
