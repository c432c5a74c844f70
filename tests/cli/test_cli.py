"""The oncoreg command line, run in-process through ``main(argv)``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oncoreg import __version__
from oncoreg.cli import EXAMPLES, app, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A registry in a temporary folder, as `oncoreg` would use it from there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    assert run(capsys, "--version") == (0, f"oncoreg {__version__}\n", "")


def _command_paths() -> set[str]:
    paths = {c.name for c in app.registered_commands}
    for group in app.registered_groups:
        paths |= {f"{group.name} {c.name}" for c in group.typer_instance.registered_commands}
    return paths


def test_help_lists_every_command_with_an_example(registry, capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert set(EXAMPLES) == _command_paths()
    for path, example in EXAMPLES.items():
        assert path.split()[0] in out
        assert example in out
        sub_code, sub_out, _ = run(capsys, *path.split(), "--help")
        assert sub_code == 0 and example in sub_out, path


def test_demo_then_list_and_reinit(registry, capsys):
    code, out, _ = run(capsys, "demo", "--persons", "300", "--formats", "csv", "--no-serve")
    assert code == 0, out
    assert (registry / "oncoreg.db").exists()
    assert (registry / "oncoreg.secret").stat().st_mode & 0o077 == 0
    assert "provinces added: 97" in out
    assert re.search(r"facilities: 30 added", out)
    assert "300 persons" in out and (registry / "oncoreg-data" / "truth" / "reports.csv").exists()
    linked = re.search(
        r"link \(full, duckdb\): (\d+) reports, (\d+) linked into (\d+) persons", out
    )
    assert linked and int(linked[2]) > 0 and int(linked[3]) < int(linked[2]), out
    assert "reports per tumour" in out and "review queue:" in out
    password = re.search(r"user demo-admin, one-time password (\S+)", out)
    assert password and len(password[1]) >= 12, out
    code, out, _ = run(capsys, "link")
    assert code == 0 and "link (incremental, duckdb)" in out
    code, out, _ = run(capsys, "export", "links", "--out", "links.csv")
    header = (registry / "links.csv").read_text(encoding="utf-8").splitlines()[0]
    assert code == 0 and header == "facility_code,report_id,person_id,tumour_id"
    code, out, _ = run(capsys, "review", "list", "--format", "json")
    assert code == 0 and "count" in json.loads(out)
    code, _, err = run(capsys, "review", "decide", "999999", "--match", "--user", "lan")
    assert code == 1 and "no review item 999999" in err
    code, _, err = run(capsys, "review", "decide", "1", "--user", "lan")
    assert code == 1 and "--match, --no-match or --unsure" in err
    code, out, _ = run(capsys, "facilities", "list", "--format", "json")
    listed = json.loads(out)
    assert code == 0 and listed["count"] >= 20
    assert {"VN-K"} <= {f["code"] for f in listed["data"]}
    code, out, _ = run(capsys, "init")
    assert code == 0 and "provinces added: 0" in out and "secret written" not in out


def test_facilities_import_reports_every_bad_row(registry, capsys):
    run(capsys, "init")
    bad = registry / "h.csv"
    bad.write_text(
        "code,name_vi,name_en,province_code,level,type,parent_code\n"
        "A,Bệnh viện A,,01,central,hospital,\nB,,,99,tỉnh,hospital,\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "facilities", "import", str(bad))
    assert code == 1
    assert "1 of 2 rows are invalid; nothing was imported" in err
    assert "name_vi" in err and "province_code" in err
    code, out, err = run(capsys, "facilities", "import", str(bad), "--skip-bad-rows")
    assert code == 0 and "1 added" in out and "1 rejected" in out
    assert (registry / "h.rejects.csv").exists()


def test_codes_lookups(registry, capsys):
    code, out, _ = run(capsys, "codes", "topography", "509")
    assert code == 0 and "C50.9" in out and "Breast, NOS" in out
    code, out, _ = run(capsys, "codes", "morphology", "85003", "--format", "json")
    assert code == 0
    assert json.loads(out)["term_en"] == "Infiltrating duct carcinoma, NOS"
    code, out, _ = run(capsys, "codes", "icd10", "C44.5", "8720/3", "--format", "json")
    assert code == 0 and json.loads(out)["icd10"] == "C43.5"
    code, out, _ = run(capsys, "codes", "sources")
    assert code == 0 and "morphology.tsv" in out


def test_unknown_code_suggests_nearest(registry, capsys):
    code, _, err = run(capsys, "codes", "topography", "C14.1")
    assert code == 1
    assert "'C14.1' is not a known topography code" in err
    assert "C14.0" in err and "C14.2" in err
    code, _, err = run(capsys, "codes", "morphology", "8500/7")
    assert code == 1 and "behaviour" in err


def test_commands_need_a_registry_secret(registry, capsys):
    code, _, err = run(capsys, "facilities", "import", "x.csv")
    assert code == 1 and "no registry secret" in err and "oncoreg init" in err


def test_usage_errors_exit_with_2(capsys):
    code, _, _ = run(capsys, "codes", "topography")
    assert code == 2


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, re.DOTALL)


def test_readme_has_two_setup_commands_and_ci_runs_the_second():
    commands = _setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_import_check_and_quality_commands(registry, capsys):
    code, _, _ = run(capsys, "demo", "--persons", "200", "--formats", "csv", "--no-serve")
    assert code == 0
    files = sorted((registry / "oncoreg-data" / "reports" / "csv").glob("*.csv"))
    code, out, _ = run(capsys, "import", str(files[0]), str(files[1]))
    assert code == 0 and "0 imported" in out and "unchanged" in out
    code, out, _ = run(capsys, "check", "--out", str(registry / "checks.csv"))
    header = (registry / "checks.csv").read_text(encoding="utf-8").splitlines()[0]
    assert code == 0 and header == "facility_code,report_id,rule_id,severity,field,message"
    code, out, _ = run(capsys, "quality", "--by", "sex", "--format", "json")
    rows = json.loads(out)["data"]
    assert code == 0 and {r["sex"] for r in rows} <= {"1", "2", "9"}
    assert all(0 <= r["mv_pct"] <= 100 for r in rows)
    code, _, err = run(capsys, "quality", "--by", "colour")
    assert code == 1 and "cannot group by colour" in err
    code, _, err = run(capsys, "confirm", "VN-K", "NO-SUCH-REPORT", "CONS-SITE-HISTOLOGY")
    assert code == 1 and "no finding" in err
