"""``oncoreg users``, ``oncoreg audit`` and ``oncoreg serve``, run in-process."""

from __future__ import annotations

import json
import re

from tests.cli.test_cli import registry, run  # noqa: F401 - the shared fixture


def test_the_first_admin_gets_a_one_time_password_and_no_default_exists(registry, capsys):  # noqa: F811
    assert run(capsys, "init")[0] == 0
    code, out, _ = run(capsys, "users", "create", "lan", "--admin", "--name", "Lan")
    assert code == 0 and "user lan (admin) created" in out
    first = re.search(r"one-time password: (\S+)", out)[1]
    code, _, err = run(capsys, "users", "create", "lan", "--admin")
    assert code == 1 and "exists already" in err
    code, out, _ = run(capsys, "users", "reset-password", "lan")
    second = re.search(r"one-time password for lan: (\S+)", out)[1]
    assert code == 0 and second != first and len(second) >= 12
    code, out, _ = run(capsys, "users", "list", "--format", "json")
    users = json.loads(out)["data"]
    assert code == 0 and users == [
        {
            "username": "lan",
            "display_name": "Lan",
            "role": "admin",
            "facility_code": None,
            "active": True,
        }
    ]


def test_a_hospital_user_needs_a_known_facility(registry, capsys):  # noqa: F811
    run(capsys, "init")
    code, _, err = run(capsys, "users", "create", "minh", "--role", "hospital")
    assert code == 1 and "needs a facility" in err
    code, _, err = run(capsys, "users", "create", "minh", "--role", "hospital", "--facility", "X")
    assert code == 1 and "'X' is not in the registry" in err
    code, _, err = run(capsys, "users", "create", "minh", "--role", "boss")
    assert code == 1 and "unknown role 'boss'" in err


def test_the_audit_trail_lists_changes_with_field_names_only(registry, capsys):  # noqa: F811
    run(capsys, "init")
    assert run(capsys, "facilities", "import", str(_facilities(registry)))[0] == 0
    code, out, _ = run(capsys, "audit", "--entity", "facilities", "--format", "json")
    events = json.loads(out)["data"]
    assert code == 0 and events[-1]["action"] == "insert"
    assert {e["entity"] for e in events} == {"facilities"}
    assert "Bệnh viện" not in out  # names of fields, never their values


def test_serve_refuses_several_workers_on_the_embedded_registry(registry, capsys):  # noqa: F811
    run(capsys, "init")
    code, _, err = run(capsys, "serve", "--workers", "2")
    assert code == 1 and "one process" in err


def _facilities(folder):
    path = folder / "facilities.csv"
    path.write_text(
        "code,name_vi,name_en,province_code,level,type,parent_code\n"
        "VN-T1,Bệnh viện Thử,Test Hospital,01,central,hospital,\n",
        encoding="utf-8",
    )
    return path
