# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stopping lpmaintd at a precise step, or failing one of its system calls, with
strace attached to the running daemon (strace(1): -e inject; -P filters by
path); and a store that cannot be written (read-only, full, failing).

    with kill_at("write", when=2, path=audit_log()):
        ...  # lpmaintd gets SIGKILL as it enters its 2nd write(2) to the audit log: it never lands
    restart_daemon()

    with FAULTS["full"](patch_dir(name)):
        ...  # every new write there fails with ENOSPC

strace 6.1's -P matches a path, or a descriptor by the path it has (the
directory descriptor of openat(2), renameat(2), fsync(2)), never a directory
descriptor joined with the name relative to it: `-P DIR/state` misses
renameat(DIRFD, ".#state.XXXXXX", DIRFD, "state"). So a record's write is
found by its directory, path=DIR (a patch's, patch_dir(); the host's,
state_dir()): kill_at("rename", path=DIR) stops lpmaintd before the record
has its final name, kill_at("fsync", path=DIR) right after, at the fsync(2)
of the directory that follows each rename (a record's temporary file is
synced too, but its descriptor has another path). Records are counted only in
their own directory, never every rename of the daemon.
lpmaintd runs one thread; its health checks are other processes, not traced.
"""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile

from conftest import SANDBOX, _alive, daemon_pid, run, wait_for

# glibc may use any of them.
SYSCALLS = {"rename": "rename,renameat,renameat2", "write": "write,pwrite64,writev", "open": "open,openat",
            "fsync": "fsync,fdatasync"}


def _tracer(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def _strace(syscall, inject, path):
    pid = daemon_pid()
    calls = SYSCALLS.get(syscall, syscall)
    cmd = ["strace", "-qq", "-p", str(pid), "-o", "/dev/null", "-e", f"trace={calls}", "-e", f"inject={calls}:{inject}"]
    if path:
        cmd += ["-P", path]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _tracer(pid) != 0 or proc.poll() is not None, timeout=10, what="strace attached")
        assert proc.poll() is None, proc.stderr.read().decode()
        yield pid
    finally:
        if proc.poll() is None:
            proc.terminate()  # strace detaches and the daemon runs on
        proc.wait(timeout=30)


@contextlib.contextmanager
def kill_at(syscall, when=1, path=None, timeout=20):
    """SIGKILL lpmaintd as it enters its @when-th @syscall (on @path) inside the
    block, so that call is never made; the block's end waits until it is gone."""
    with _strace(syscall, f"signal=KILL:when={when}", path) as pid:
        yield pid
        wait_for(lambda: not _alive(pid), timeout=timeout, what=f"lpmaintd killed at {syscall} #{when} on {path}")


@contextlib.contextmanager
def fail_at(syscall, errno_name, when="1", path=None):
    """The @when-th @syscall (on @path) inside the block fails with @errno_name, and is not made."""
    with _strace(syscall, f"error={errno_name}:when={when}", path) as pid:
        yield pid
    wait_for(lambda: _tracer(pid) == 0, timeout=10, what="strace detached")


def state_dir():
    """Where the records of the host (reboot wave, boots, versions) are written."""
    return os.environ["LPMAINT_STATE_DIR"]


def patch_dir(name):
    return os.path.join(state_dir(), "patches", name)


def state_file(name):
    return os.path.join(patch_dir(name), "state")


def audit_log():
    return os.path.join(os.environ["LPMAINT_STATE_DIR"], "audit.log")


def recorded_state(name):
    """What the patch's record on disk says (not what the bus says)."""
    fields = {}
    with open(state_file(name)) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                fields[k] = v
    return fields


# ---- a state directory that cannot be written

@contextlib.contextmanager
def read_only(path):
    """@path read-only for everyone, root and lpmaintd included (a bind mount)."""
    run("mount", "--bind", path, path, check=True)
    try:
        run("mount", "-o", "remount,bind,ro", path, check=True)
        yield
    finally:
        run("umount", path, check=True)


@contextlib.contextmanager
def full(path):
    """@path on a small tmpfs holding a copy of its files and nothing more:
    every new write fails with ENOSPC. What is written there is dropped after."""
    copy = tempfile.mkdtemp(dir=SANDBOX)
    shutil.copytree(path, copy, dirs_exist_ok=True)
    run("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", path, check=True)
    try:
        shutil.copytree(copy, path, dirs_exist_ok=True)
        with open(os.path.join(path, ".filler"), "wb") as f:
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        yield
    finally:
        run("umount", path, check=True)
        shutil.rmtree(copy, ignore_errors=True)


@contextlib.contextmanager
def io_error(path):
    """The next fsync(2) lpmaintd makes fails with EIO, as on a failing disk
    (whatever @path: the next durable write is the one that fails)."""
    with fail_at("fsync", "EIO"):
        yield


FAULTS = {"read-only": read_only, "full": full, "io-error": io_error}
STRERROR = {"read-only": "Read-only file system", "full": "No space left on device", "io-error": "Input/output error"}


def unsaved_records():
    out = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
              "org.lpmaint1.Manager", "UnsavedRecords", check=True).stdout
    return json.loads(out)["data"]
