# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bus surface: the live API matches dbus/*.xml, and malformed calls get named errors."""
import os
import xml.etree.ElementTree as ET

import pytest

from conftest import AUTO, OTHER, RELEASE, lpmaint, patches, run

REPO = os.environ.get("LPMAINT_REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
DEST = ("org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager")


def busctl(*args, user=None, **kw):
    return run("busctl", "--system", *args, user=user, **kw)


def call(method, sig, *args, user=None, **kw):
    return busctl("call", *DEST, method, sig, *args, user=user, **kw)


def interface_shape(root, name):
    """Members, argument types and property annotations of one interface, comparable."""
    iface = next(i for i in root.iter("interface") if i.get("name") == name)
    shape = {}
    for m in iface:
        if m.tag in ("method", "signal"):
            shape[(m.tag, m.get("name"))] = [(a.get("type"), a.get("direction", "out" if m.tag == "signal" else "in"))
                                            for a in m.findall("arg")]
        elif m.tag == "property":
            emits = "true"
            for a in m.findall("annotation"):
                if a.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal":
                    emits = a.get("value")
            shape[("property", m.get("name"))] = (m.get("type"), m.get("access"), emits)
    return shape


def live(path, ):
    p = busctl("introspect", "--xml-interface", "org.lpmaint1", path)
    assert p.returncode == 0, p.stderr
    return ET.fromstring(p.stdout)


def test_manager_introspection_matches_xml():
    want = interface_shape(ET.parse(os.path.join(REPO, "dbus/org.lpmaint1.Manager.xml")).getroot(), "org.lpmaint1.Manager")
    assert interface_shape(live("/org/lpmaint1"), "org.lpmaint1.Manager") == want


def test_kernel_introspection_matches_xml():
    want = interface_shape(ET.parse(os.path.join(REPO, "dbus/org.lpmaint1.Kernel.xml")).getroot(), "org.lpmaint1.Kernel")
    assert interface_shape(live("/org/lpmaint1"), "org.lpmaint1.Kernel") == want


def test_signals_introspection_matches_xml():
    want = interface_shape(ET.parse(os.path.join(REPO, "dbus/org.lpmaint1.Signals.xml")).getroot(), "org.lpmaint1.Signals")
    assert interface_shape(live("/org/lpmaint1"), "org.lpmaint1.Signals") == want


def test_patch_introspection_matches_xml(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    want = interface_shape(ET.parse(os.path.join(REPO, "dbus/org.lpmaint1.Patch.xml")).getroot(), "org.lpmaint1.Patch")
    assert interface_shape(live(f"/org/lpmaint1/patch/{a.name}"), "org.lpmaint1.Patch") == want
    objects = busctl("call", "org.lpmaint1", "/org/lpmaint1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    assert f"/org/lpmaint1/patch/{a.name}" in objects.stdout
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


@pytest.mark.parametrize("method,sig,args", [
    ("Apply", "sss", ["a", "b", "c"]),
    ("Apply", "", []),
    ("Disable", "u", ["7"]),
    ("Disable", "s", ["x"]),
    ("GetHistory", "s", ["x"]),
])
def test_wrong_argument_types(method, sig, args):
    p = call(method, sig, *args, user=AUTO)
    assert p.returncode != 0
    assert "InvalidArgs" in p.stderr or "Invalid argument" in p.stderr, p.stderr


@pytest.mark.parametrize("name", ["../etc", "a/b", "UPPER", "", "x" * 300, "tab\there", "nul\\x00"])
def test_disable_bad_names(name):
    p = call("Disable", "sa{sv}", name, "0", user=AUTO)
    assert p.returncode != 0
    assert "Invalid" in p.stderr, p.stderr


def test_unknown_option_keys_are_refused():
    p = call("Disable", "sa{sv}", "somepatch", "1", "force", "b", "true", user=AUTO)
    assert p.returncode != 0
    assert "Unknown option" in p.stderr


@pytest.mark.parametrize("filt", [
    ["1", "bogus", "s", "x"],
    ["1", "since", "s", "yesterday"],
    ["1", "limit", "t", "5"],
])
def test_history_filter_errors(filt):
    p = call("GetHistory", "a{sv}", *filt)
    assert p.returncode != 0
    assert "filter" in p.stderr.lower(), p.stderr


def test_history_filters_work():
    p = call("GetHistory", "a{sv}", "2", "limit", "u", "1", "result", "s", "denied")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("a(tuussssss) ")


BUILD = os.environ.get("LPMAINT_BUILD_DIR", os.path.join(REPO, "build"))


def _apply_with_fds(fds, user=AUTO):
    """Apply with the given open file descriptors (busctl cannot pass them)."""
    return run(os.path.join(BUILD, "tests", "apply-fds"), *[str(fd) for fd in fds], user=user, pass_fds=fds)


def test_apply_with_a_directory_fd(make_patch, workdir):
    a = make_patch()
    d = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    s = os.open(a.signature, os.O_RDONLY)
    m = os.open(a.module, os.O_RDONLY)
    try:
        p = _apply_with_fds([d, s, m])
    finally:
        for fd in (d, s, m):
            os.close(fd)
    assert p.returncode != 0
    assert p.stdout.startswith("org.lpmaint1.Error.BadFile:"), p.stdout
    assert a.name not in patches()


def test_apply_with_a_fifo_fd(make_patch, workdir):
    a = make_patch()
    fifo = os.path.join(workdir, "fifo")
    os.mkfifo(fifo)
    f = os.open(fifo, os.O_RDWR)  # a FIFO that never ends
    s = os.open(a.signature, os.O_RDONLY)
    m = os.open(a.module, os.O_RDONLY)
    try:
        p = _apply_with_fds([f, s, m])
    finally:
        for fd in (f, s, m):
            os.close(fd)
    assert p.stdout.startswith("org.lpmaint1.Error.BadFile:"), p.stdout
    assert a.name not in patches()


def test_apply_with_a_pipe_fd(make_patch):
    a = make_patch()
    r, w = os.pipe()
    s = os.open(a.signature, os.O_RDONLY)
    m = os.open(a.module, os.O_RDONLY)
    try:
        # A pipe that never ends must not hang the daemon.
        p = _apply_with_fds([r, s, m])
    finally:
        for fd in (r, w, s, m):
            os.close(fd)
    assert p.returncode != 0
    assert p.stdout.startswith("org.lpmaint1.Error.BadFile:"), p.stdout
    assert a.name not in patches()
    assert lpmaint("status").returncode == 0


def test_apply_with_fds_by_an_ordinary_user_is_denied_first(make_patch):
    a = make_patch()
    fds = [os.open(f, os.O_RDONLY) for f in (a.manifest, a.signature, a.module)]
    try:
        p = _apply_with_fds(fds, user=OTHER)
    finally:
        for fd in fds:
            os.close(fd)
    assert p.returncode != 0
    assert p.stdout.startswith("org.freedesktop.DBus.Error.AccessDenied:"), p.stdout


def test_apply_with_fds_works(make_patch):
    a = make_patch()
    fds = [os.open(f, os.O_RDONLY) for f in (a.manifest, a.signature, a.module)]
    try:
        p = _apply_with_fds(fds)
    finally:
        for fd in fds:
            os.close(fd)
    assert p.returncode == 0, p.stdout
    assert p.stdout.strip() == f"/org/lpmaint1/patch/{a.name}"
    from conftest import wait_state
    wait_state(a.name, {"applied"})
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0
