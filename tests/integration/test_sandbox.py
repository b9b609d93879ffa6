# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/sandbox's own options: a sandbox started inside this one."""
import json
import os

from conftest import run

SANDBOX_TOOL = os.path.join(os.environ.get("LPMAINT_REPO", ""), "tools", "sandbox")

# Runs in the inner sandbox: the reboot commands reach the double, which
# records the shutdown it was asked for and never does it.
TRY_REBOOT = r"""
set -e
as_auto() { runuser -u "$LPMAINT_AUTOMATION_USER" -- env DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" "$@"; }
as_auto lpmaint --no-ask-password reboot schedule +1h --reason="trying the sandbox"
lpmaint --json reboot status
cp "$LPMAINT_SANDBOX/system-double/calls.jsonl" "$1"
as_auto lpmaint --no-ask-password reboot cancel
"""


def inner_sandbox(*args, script, workdir):
    path = os.path.join(workdir, "inner.sh")
    with open(path, "w") as f:
        f.write(script)
    calls = os.path.join(workdir, "calls.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPMAINT_SANDBOX")}
    p = run(SANDBOX_TOOL, "run", *args, "--", "bash", path, calls, env=env, timeout=180)
    return p, calls


def test_system_double_lets_the_reboot_commands_be_tried(workdir):
    p, calls = inner_sandbox("--system-double", script=TRY_REBOOT, workdir=workdir)
    assert p.returncode == 0, (p.stdout, p.stderr)
    status, _ = json.JSONDecoder().raw_decode(p.stdout[p.stdout.index("{"):])
    assert status["wave_state"] == "scheduled", status
    with open(calls) as f:
        asked = [json.loads(line) for line in f]
    assert [(c["method"], c["args"][0]) for c in asked] == [("ScheduleShutdown", "reboot")], asked
    assert "reboots are recorded" in p.stderr


def test_without_the_double_there_is_no_logind(workdir):
    p, _ = inner_sandbox(script="busctl --system status org.freedesktop.login1\n", workdir=workdir)
    assert p.returncode != 0, (p.stdout, p.stderr)
