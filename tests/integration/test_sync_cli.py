# SPDX-License-Identifier: LGPL-2.1-or-later
"""lpmaint sync: the status form, --dry-run (the agent's own dry run, run as
the caller) and --now (lpmaint-sync.service started through systemd's bus
API). systemd is the test double (system_double.py), whose lpmaint-sync.service
runs the agent as the automation identity, as the real unit does, and ends
its job with JobRemoved when the agent exits. The channels are test_sync.py's
real nginx with TLS on 127.0.0.1.
"""

import json

from conftest import AUTO, lpmaint, lpmaint_json, run
from test_sync import (CLIENT_ENV, SYNC, agent_record, channel, configure, server, state, sync_dropin,  # noqa: F401
                       sync_status, view)

UNIT = "lpmaint-sync.service"
SYNC_ENV = {**CLIENT_ENV, "LPMAINT_SYNC_AGENT": SYNC}


def lpmaint_sync(*args, user=None):
    return run("lpmaint", "--no-ask-password", "sync", *args, user=user, env=SYNC_ENV, timeout=120)


def serve_unit(system_double, state):
    system_double.set_unit(UNIT, exec=[SYNC, "run", "--state-dir", state], exec_user=AUTO, exec_env=CLIENT_ENV)


def test_status(server, channel, sync_dropin):
    sync_dropin(server, channel.url)
    # What earlier tests' runs left: the status is lpmaintd's, kept across runs.
    status = sync_status()
    p = lpmaint_sync(user=AUTO)
    assert p.returncode == 0, p.stderr
    assert f"Channel: {channel.url}" in p.stdout
    if status["LastSuccessUSec"]:
        assert f"Serial: {status['LastSuccessSerial']}" in p.stdout
    else:
        assert "Last sync: never" in p.stdout
    out = json.loads(lpmaint_sync("--json", user=AUTO).stdout)["sync"]
    assert out["channels"] == [channel.url]
    assert (out["last_usec"], out["last_result"], out["last_success_usec"], out["last_success_serial"]) == \
        (status["LastUSec"], status["LastResult"], status["LastSuccessUSec"], status["LastSuccessSerial"])
    assert lpmaint_json("status")["sync"] == out


def test_status_without_channels():
    p = lpmaint_sync(user=AUTO)
    assert p.returncode == 0, p.stderr
    assert "No channels" in p.stdout


def test_dry_run_says_what_a_run_would_do(server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    before = sync_status()

    p = lpmaint_sync("--dry-run", user=AUTO)
    assert p.returncode == 0, p.stderr
    assert f"would apply {a.name} 1.0" in p.stdout
    out = json.loads(lpmaint_sync("--dry-run", "--json", user=AUTO).stdout)
    assert out["dry_run"] is True
    assert [(d["action"], d["name"]) for d in out["channels"][0]["decisions"]] == [("apply", a.name)]
    assert view([a.name]) == {a.name: None}
    assert sync_status() == before


def test_now_runs_the_unit_and_shows_the_outcome(system_double, server, channel, state, sync_dropin, make_patch):
    a = make_patch(version="1.0")
    channel.publish(a)
    sync_dropin(server, channel.url)
    serve_unit(system_double, state)

    p = lpmaint_sync("--now")
    assert p.returncode == 0, p.stdout + p.stderr
    assert [c["args"] for c in system_double.calls("StartUnit")] == [[UNIT, "replace"]]
    assert view([a.name]) == {a.name: ("applied", "1.0")}
    assert agent_record(state) != {}
    status = sync_status()
    assert status["LastResult"] == "ok" and status["LastSuccessSerial"] > 0
    assert "Last sync: " in p.stdout and "never" not in p.stdout
    assert f"Serial: {status['LastSuccessSerial']}" in p.stdout

    out = lpmaint_json("status")["sync"]
    assert (out["last_result"], out["last_success_serial"], out["last_failed"]) == \
        ("ok", status["LastSuccessSerial"], False)
    metrics = run("lpmaint", "metrics", check=True).stdout.splitlines()
    assert f"lpmaint_sync_index_serial {status['LastSuccessSerial']}" in metrics
    assert any(m.startswith("lpmaint_sync_last_success_timestamp_seconds ") for m in metrics)
    assert lpmaint("disable", a.name).returncode == 0


def sync_errors():
    p = run("busctl", "--system", "--json=short", "get-property", "org.lpmaint1", "/org/lpmaint1",
            "org.lpmaint1.Manager", "SyncErrors", check=True)
    return json.loads(p.stdout)["data"]


def test_now_fails_when_the_run_fails(system_double, server, state, sync_dropin):
    url = server.url("/nothing-here")
    sync_dropin(server, url)
    serve_unit(system_double, state)
    before = sync_errors()
    assert sorted(before) == ["apply", "artifact", "expired", "fetch", "index", "other", "rollback", "signature"]

    p = lpmaint_sync("--now")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "ended with 'failed'" in p.stderr
    assert "Last error: not-found" in p.stdout
    assert sync_status()["LastResult"] == "not-found"
    assert sync_errors() == {**before, "fetch": before["fetch"] + 1}
    assert lpmaint_json("status")["sync"]["errors"] == sync_errors()
    metrics = run("lpmaint", "metrics", check=True).stdout.splitlines()
    assert f'lpmaint_sync_errors_total{{kind="fetch"}} {before["fetch"] + 1}' in metrics


def test_now_without_the_unit(system_double):
    p = lpmaint_sync("--now")
    assert p.returncode == 1 and "lpmaint-sync.service" in p.stderr, p.stderr
