# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the bench modules share of the sandbox (tools/sandbox): its
variables, lpmaintd's pid, signed simulated patches and a patch's state."""
import os
import subprocess

SANDBOX = os.environ["LPMAINT_SANDBOX"]
REPO = os.environ["LPMAINT_REPO"]
BUILD = os.environ.get("LPMAINT_BUILD_DIR", os.path.join(REPO, "build"))
STATE = os.environ["LPMAINT_STATE_DIR"]
RELEASE = os.environ["LPMAINT_KERNEL_RELEASE"]
SIM = os.environ["LPMAINT_SIM_DIR"]
PKI = os.environ["LPMAINT_PKI"]
AUTO = os.environ["LPMAINT_AUTOMATION_USER"]
AUTO_GROUP = os.environ["LPMAINT_AUTOMATION_GROUP"]
CONFIG_DROPIN_DIR = os.environ["LPMAINT_CONFIG"] + ".d"


def daemon_pid():
    with open(os.path.join(SANDBOX, "lpmaintd.pid")) as f:
        return int(f.read())


def signed_patch(name, release=RELEASE):
    """A simulated module for @release, signed by the sandbox's signer as
    version 1 (lpmaint-sign); returns the manifest's path."""
    d = os.path.join(SANDBOX, "bench-patches", release, name)
    os.makedirs(d, mode=0o755)
    module = os.path.join(d, name + ".ko")
    subprocess.run(["make-sim-module", "--name", name, "--release", release, "-o", module], check=True)
    subprocess.run(["lpmaint-sign", "--key", os.path.join(PKI, "signer.key"), "--cert", os.path.join(PKI, "signer.pem"),
                    "--module", module, "--name", name, "--version", "1", "--kernel", release, "--output-dir", d],
                   check=True, stdout=subprocess.DEVNULL)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return os.path.join(d, name + ".manifest")


def patch_state(name):
    return subprocess.run(["busctl", "--system", "get-property", "org.lpmaint1", f"/org/lpmaint1/patch/{name}",
                           "org.lpmaint1.Patch", "State"], capture_output=True, text=True).stdout.split()[-1].strip('"')
