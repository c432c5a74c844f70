"""``oncoreg stats survival``: the file contract, run in-process through ``main(argv)``."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from oncoreg.cli import main

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A folder with the reference cohorts and life tables under short names."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    # main() adds a warning handler on the stderr of its first run; give each test its own
    monkeypatch.setattr(logging.getLogger("oncoreg"), "handlers", [])
    for name in ("sibr_cohort", "synth_cohort", "lung_cohort", "popmort_lifetable"):
        shutil.copy(REFERENCE / f"survival_{name}.csv", tmp_path / f"{name}.csv")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["stats", "survival", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _expected(file: str, case: str) -> pl.DataFrame:
    frame = pl.read_csv(REFERENCE / f"survival_expected_{file}.csv", infer_schema=False)
    return frame.filter(pl.col("case") == case)


def _close(written: pl.DataFrame, expected: pl.DataFrame, columns) -> None:
    for column in columns:
        np.testing.assert_allclose(
            written[column].to_numpy(), expected[column].cast(pl.Float64).to_numpy(), atol=1e-9
        )


def test_km_by_sex_writes_out_csv(files, capsys):
    code, out, err = run(
        capsys, "--cohort", "lung_cohort.csv", "--method", "km", "--times", "0.25,0.5,1,1.5,2",
        "--by", "sex", "--ci", "loglog", "--out", "km.csv",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "survival (km): 228 patients, 2 strata, 10 rows -> km.csv" in out
    written = pl.read_csv(files / "km.csv")
    assert written.columns == ["sex", "time", "n_at_risk", "estimate", "se", "lower", "upper"]
    _close(written, _expected("survfit", "lung-sex-loglog"), ["estimate", "se", "lower", "upper"])


def test_period_approach_reproduces_survtab(files, capsys):
    code, _, err = run(
        capsys, "--cohort", "sibr_cohort.csv", "--lifetable", "popmort_lifetable.csv",
        "--method", "ederer2", "--times", "1,2,3,4,5", "--period", "2008-2012",
        "--extend-lifetable", "--out", "period.csv",
    )  # fmt: skip
    assert code == 0
    assert "warning: life table extended" in err
    written = pl.read_csv(files / "period.csv")
    assert written.columns[:6] == ["time", "n_at_risk", "estimate", "se", "lower", "upper"]
    assert written.columns[6:] == ["observed", "observed_se", "observed_lower", "observed_upper"]
    expected = _expected("survtab", "sibr-period ederer2 yearly log")
    _close(written, expected, ["estimate", "se", "lower", "upper", "observed"])


def test_popepi_pp_weights_reproduce_survtab_pp(files, capsys):
    """R (popEpi 0.4.10, survival_reference_popepi_pp.R): survtab(Surv(fot, lex.Xst) ~
    dxgroup, data = lexis_of(sibr), surv.type = "surv.rel", relsurv.method = "pp", pophaz =
    pophaz_of(popmort), conf.type = "log", breaks = list(fot = 0:10, per = 1 January of
    1993-2014, age = 0:150)). Tolerance: atol 1e-9."""
    code, out, _ = run(
        capsys, "--cohort", "sibr_cohort.csv", "--lifetable", "popmort_lifetable.csv",
        "--method", "pohar-perme", "--times", ",".join(str(t) for t in range(1, 11)),
        "--by", "dxgroup", "--pp-weights", "popepi", "--extend-lifetable", "--out", "pp.csv",
    )  # fmt: skip
    assert code == 0, out
    written = pl.read_csv(files / "pp.csv", schema_overrides={"dxgroup": pl.String})
    expected = _expected("survtab_popepi_pp", "sibr-dxgroup pohar-perme yearly log")
    assert written["dxgroup"].to_list() == expected["group"].to_list()
    _close(written, expected, ["estimate", "se", "lower", "upper", "observed"])


def test_exact_pohar_perme_standardised_by_stage(files, capsys):
    shutil.copy(REFERENCE / "survival_slopop_lifetable.csv", files / "slopop.csv")
    code, out, _ = run(
        capsys, "--cohort", "synth_cohort.csv", "--lifetable", "slopop.csv", "--method",
        "pohar-perme", "--breaks", "exact", "--times", "1,3,5", "--standardise", "icss-1",
        "--extend-lifetable", "--out", "pp.csv",
    )  # fmt: skip
    assert code == 0, out
    expected = _expected("rs_surv", "synth-icss-1 pohar-perme log")
    _close(pl.read_csv(files / "pp.csv"), expected, ["n_at_risk", "estimate", "se", "lower"])


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return path.name


COHORT = (
    "sex,age,dx_date,exit_date,status,stage\n"
    "1,60.5,2000-03-01,2003-05-01,1,2\n"
    "2,71.25,2001-07-15,2004-12-31,0,3\n"
    "2,55,2002-01-01,2002-06-30,1,3\n"
)


def _error(capsys, *args) -> str:
    code, out, err = run(capsys, *args)
    assert code == 1, (out, err)
    assert err.startswith("error: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("2003-05-01", "1999-05-01"), "row 2, field 'exit_date': exit before diagnosis"),
        (("2001-07-15", "2001-15-07"), "row 3, field 'dx_date': not a date (write YYYY-MM-DD)"),
        (("2004-12-31,0", "2004-12-31,2"), "row 3, field 'status': must be 0 (alive/censored)"),
        (("\n2,55,", "\n3,55,"), "row 4, field 'sex': must be 1 (male) or 2 (female)"),
        ((",55,", ",,"), "row 4, field 'age': missing value"),
        (("status", "state"), "cohort.csv: missing column(s) status"),
    ],
)
def test_bad_cohort_rows_are_named_by_file_row_and_column(files, capsys, edit, expected):
    cohort = _write(files / "cohort.csv", COHORT.replace(*edit))
    err = _error(
        capsys, "--cohort", cohort, "--lifetable", "popmort_lifetable.csv", "--method",
        "pohar-perme", "--times", "1", "--out", "o.csv",
    )  # fmt: skip
    assert expected in err
    assert not (files / "o.csv").exists()


def test_life_table_must_cover_the_follow_up(files, capsys):
    old = _write(files / "old.csv", COHORT.replace("71.25", "99.5"))
    args = ("--lifetable", "popmort_lifetable.csv", "--method", "ederer2", "--out", "o.csv")
    err = _error(capsys, "--cohort", old, "--times", "3", *args)
    assert "old.csv: the life table does not cover the cohort's follow-up" in err
    assert "row 3, field 'age': follow-up reaches ages past the life table's 100" in err
    assert "--extend-lifetable" in err
    late = _write(files / "late.csv", COHORT.replace("2000-03-01,2003", "2013-03-01,2016"))
    err = _error(capsys, "--cohort", late, "--times", "1", *args)
    assert "row 2, field 'dx_date': follow-up runs past the life table's 2013" in err
    code, _, err = run(capsys, "--cohort", late, "--times", "1", *args, "--extend-lifetable")
    assert code == 0 and "1 patients are followed past 2013, which use 2013's rates" in err


def test_life_table_problems_are_named(files, capsys):
    table = _write(files / "lt.csv", "sex,age,year,haz\n1,0,2000,0.01\n1,1,2000,x\n")
    err = _error(
        capsys, "--cohort", _write(files / "c.csv", COHORT), "--lifetable", table,
        "--method", "ederer2", "--times", "1", "--out", "o.csv",
    )  # fmt: skip
    assert (
        "lt.csv: the life table has bad values" in err and "row 3, field 'haz': not a number" in err
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--method", "ederer2"), "--lifetable is needed for ederer2"),
        (("--method", "km", "--by", "grade"), "no column grade to group by"),
        (("--method", "kaplan"), "unknown method 'kaplan'"),
        (("--method", "km", "--period", "2008"), "period '2008' is not FROM-TO"),
        (("--method", "km", "--times", "1,x"), "--times '1,x': write years separated by commas"),
        (("--method", "km", "--ci", "logit"), "unknown confidence interval type 'logit'"),
        (("--method", "km", "--cohort", "none.csv"), "none.csv: file not found"),
        (("--method", "km", "--pp-weights", "popepi"), "--pp-weights popepi applies to pohar"),
        (
            (
                "--method",
                "pohar-perme",
                "--lifetable",
                "lt.csv",
                "--breaks",
                "exact",
                "--pp-weights",
                "popepi",
            ),
            "pp_weights 'popepi' needs interval breaks",
        ),
        (
            ("--method", "pohar-perme", "--lifetable", "lt.csv", "--pp-weights", "delta"),
            "unknown pp_weights 'delta'",
        ),
    ],
)
def test_bad_requests_say_what_to_do(files, capsys, args, expected):
    cohort = _write(files / "c.csv", COHORT)
    shutil.copy(REFERENCE / "survival_popmort_lifetable.csv", files / "lt.csv")
    defaults = {"--cohort": cohort, "--times": "1", "--out": "o.csv"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    flat = [item for pair in (defaults | given).items() for item in pair]
    assert expected in _error(capsys, *flat)


def test_non_utf8_cohort_is_refused(files, capsys):
    (files / "c.csv").write_bytes(
        COHORT.encode("utf-8") + "2,60,2000-01-01,2001-01-01,0,ư\n".encode("cp1258")
    )
    err = _error(capsys, "--cohort", "c.csv", "--method", "km", "--times", "1", "--out", "o.csv")
    assert "c.csv: line 5 is not UTF-8 text" in err


def test_blank_lines_count_and_semicolons_are_read(files, capsys):
    text = COHORT.replace(",", ";").replace("\n2;55;", "\n\n2;55;").replace("0;3\n\n", "0;3\n\n")
    cohort = _write(files / "semi.csv", text.replace("2002-06-30", "2001-06-30"))
    err = _error(capsys, "--cohort", cohort, "--method", "km", "--times", "1", "--out", "o.csv")
    assert "row 5, field 'exit_date': exit before diagnosis" in err


def test_ragged_and_empty_files_are_refused(files, capsys):
    ragged = _write(files / "ragged.csv", COHORT + "1,60,2000-01-01,2001-01-01,0,2,extra,cells\n")
    err = _error(capsys, "--cohort", ragged, "--method", "km", "--times", "1", "--out", "o.csv")
    assert "ragged.csv: not a readable CSV file" in err
    empty = _write(files / "empty.csv", "")
    err = _error(capsys, "--cohort", empty, "--method", "km", "--times", "1", "--out", "o.csv")
    assert "empty.csv: not a readable CSV file" in err
