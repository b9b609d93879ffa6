# SPDX-License-Identifier: LGPL-2.1-or-later
"""Only the automation identity applies; root is not exempt; every refusal is audited."""
from conftest import (AUTO, OTHER, EXIT_DENIED, kernel_view, lpmaint, patches, history)


def assert_refused(p):
    assert p.returncode == EXIT_DENIED, (p.returncode, p.stdout, p.stderr)
    assert "org.freedesktop.DBus.Error.AccessDenied" in p.stderr or "InteractiveAuthorizationRequired" in p.stderr


def test_ordinary_user_cannot_apply(make_patch):
    a = make_patch()
    before = len(history(result="denied"))
    assert_refused(lpmaint("apply", a.manifest, user=OTHER))
    assert a.name not in patches()
    assert kernel_view(a.name)["module_loaded"] is False
    denied = history(result="denied")
    assert len(denied) == before + 1
    assert denied[-1]["action"] == "apply"
    assert denied[-1]["uid"] != 0


def test_root_cannot_apply(make_patch):
    a = make_patch()
    assert_refused(lpmaint("apply", a.manifest))
    assert a.name not in patches()
    assert kernel_view(a.name)["module_loaded"] is False
    denied = history(result="denied", uid=0)
    assert denied and denied[-1]["action"] == "apply"
    assert "lpmaint-automation" in denied[-1]["message"]


def test_ordinary_user_cannot_disable(make_patch):
    a = make_patch()
    assert lpmaint("apply", a.manifest, user=AUTO).returncode == 0
    assert_refused(lpmaint("disable", a.name, user=OTHER))
    assert patches()[a.name]["state"] == "applied"
    assert kernel_view(a.name)["enabled"] is True
    assert lpmaint("disable", a.name, user=AUTO).returncode == 0


def test_reads_are_open_to_everyone():
    for verb in ("status", "list", "history"):
        p = lpmaint(verb, user=OTHER)
        assert p.returncode == 0, (verb, p.stderr)
