"""``oncoreg stats rates`` and ``oncoreg stats trend``: the file contract of docs/stats-rates.md.

Expected numbers come from ``reference/rates_reference.json`` (R 4.2.2, epitools 0.5-10.1;
see ``reference/rates_reference.R``). The tests never run R.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from oncoreg.cli import EXAMPLES, main
from oncoreg.stats.standardise import ASR_COLUMNS

REF = json.loads((Path(__file__).parent / "reference" / "rates_reference.json").read_text())
RTOL = 1e-9


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["stats", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def counts_file(path: Path, name: str) -> Path:
    """A reference table as COUNTS.csv (rows missing in R's table left out), by ``sex``."""
    d = REF["datasets"][name]
    frame = pl.DataFrame({k: d[k] for k in ("stratum", "age_group", "cases", "pyrs")})
    frame = frame.filter(~pl.Series(d["missing_row"])).rename({"stratum": "sex"})
    frame.write_csv(path)
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def reference_asr(name: str, sex: str, standard: str, conf: float) -> dict:
    return next(
        r
        for r in REF["asr"]
        if (r["dataset"], r["stratum"], r["standard"], r["conf"]) == (name, sex, standard, conf)
    )


@pytest.mark.parametrize(
    ("name", "standard", "ci", "conf"),
    [
        ("vietnam", "world-segi", "gamma", 0.95),
        ("small", "world-who-2000", "dobson", 0.90),
        ("small", "europe-2013", "lognormal", 0.95),
        ("vietnam", "europe-1976", "normal", 0.90),
    ],
)
def test_rates_from_counts_equal_r(here, capsys, name, standard, ci, conf):
    """OUT.csv against R: ``1e5 * epitools::ageadjust.direct(...)`` (gamma), the published
    Dobson, normal and log-normal formulas, Garwood crude limits and CI5 cumulative
    risk (see test_standardise.py for the exact calls). rtol=1e-9."""
    counts = counts_file(here / "counts.csv", name)
    args = ["--counts", str(counts), "--by", "sex", "--standard", standard, "--ci", ci]
    code, out, err = run(capsys, "rates", *args, "--conf", str(conf), "--out", "out.csv")
    assert code == 0, err
    assert "wrote 2 rows to out.csv" in out and "Rates per 100,000" in out
    rows = read(here / "out.csv")
    assert list(rows[0])[: 1 + len(ASR_COLUMNS)] == ["sex", *ASR_COLUMNS]
    for row in rows:
        ref = reference_asr(name, row["sex"], standard, conf)
        expected = {**ref, "asr_lower": ref[f"{ci}_lower"], "asr_upper": ref[f"{ci}_upper"]}
        for column in ASR_COLUMNS:
            assert number(row[column]) == pytest.approx(expected[column], rel=RTOL), column


def test_age_specific_equals_r(here, capsys):
    """OUT.csv with --age-specific against R: ``1e5 * d / y`` and Garwood limits
    ``1e5 * qchisq(0.025, 2d)/2 / y``, ``1e5 * qchisq(0.975, 2(d+1))/2 / y``; empty where
    y = 0. rtol=1e-9."""
    counts = counts_file(here / "counts.csv", "small")
    code, _, err = run(
        capsys, "rates", "--counts", str(counts), "--by", "sex", "--age-specific", "--out", "a.csv"
    )
    assert code == 0, err
    rows = read(here / "a.csv")
    expected = [r for r in REF["age_specific"] if r["dataset"] == "small" and r["conf"] == 0.95]
    assert list(rows[0]) == [
        "sex",
        "age_group",
        "cases",
        "pyrs",
        "rate",
        "rate_lower",
        "rate_upper",
    ]
    assert len(rows) == len(expected) == 36
    for row, ref in zip(rows, expected, strict=True):
        assert (row["sex"], row["age_group"]) == (ref["stratum"], ref["age_group"])
        for column in ("rate", "rate_lower", "rate_upper"):
            if ref[column] is None:
                assert row[column] == ""
            else:
                assert number(row[column]) == pytest.approx(ref[column], rel=RTOL)


def test_cases_and_population_give_the_counts_result(here, capsys):
    """One CASES.csv row per case (ages in the middle of the group) and POP.csv give the
    same OUT.csv as COUNTS.csv."""
    counts = counts_file(here / "counts.csv", "small")
    table = pl.read_csv(counts)
    table.select("sex", "age_group", "pyrs").write_csv(here / "pop.csv")
    lines = ["sex,age"]
    for sex, group, cases in table.select("sex", "age_group", "cases").iter_rows():
        start = int(group.rstrip("+").split("-")[0])
        lines += [f"{sex},{start + 2.5}"] * cases
    write(here / "cases.csv", "\n".join(lines) + "\n")
    assert run(capsys, "rates", "--counts", "counts.csv", "--by", "sex", "--out", "a.csv")[0] == 0
    code, _, err = run(
        capsys, "rates", "--cases", "cases.csv", "--population", "pop.csv", "--by", "sex",
        "--out", "b.csv",
    )  # fmt: skip
    assert code == 0, err
    assert (here / "a.csv").read_text() == (here / "b.csv").read_text()


def test_trend_equals_lm(here, capsys):
    """APC of the yearly ASR (world-segi) per sex against R: ``lm(log(asr) ~ year)``,
    ``100 * (exp(b1) - 1)``, ``confint``, ``summary(fit)$coefficients[2, 4]``. rtol=1e-9."""
    pl.DataFrame(REF["trend_counts"]).write_csv(here / "trend.csv")
    code, out, err = run(
        capsys,
        "trend",
        "--counts",
        "trend.csv",
        "--year-col",
        "year",
        "--by",
        "sex",
        "--out",
        "apc.csv",
    )
    assert code == 0, err
    assert "Annual percent change of the ASR (world-segi)" in out
    rows = read(here / "apc.csv")
    assert list(rows[0]) == [
        "sex",
        "first_year",
        "last_year",
        "years",
        "apc",
        "apc_lower",
        "apc_upper",
        "p_value",
    ]
    for row in rows:
        ref = next(r for r in REF["apc"] if r["sex"] == row["sex"] and r["value"] == "asr")
        assert (row["first_year"], row["last_year"], row["years"]) == ("2010", "2019", "10")
        for column in ("apc", "apc_lower", "apc_upper", "p_value"):
            assert float(row[column]) == pytest.approx(ref[column], rel=RTOL)


def test_trend_of_the_crude_rate_without_age_groups(here, capsys):
    """Without ``age_group`` the APC is of the crude rate: R ``lm(log(1e5 * sum(d) /
    sum(y)) ~ year)``. rtol=1e-9."""
    totals = (
        pl.DataFrame(REF["trend_counts"])
        .group_by("sex", "year", maintain_order=True)
        .agg(pl.col("cases").sum(), pl.col("pyrs").sum())
    )
    totals.rename({"year": "yr"}).write_csv(here / "crude.csv")
    code, out, err = run(
        capsys,
        "trend",
        "--counts",
        "crude.csv",
        "--year-col",
        "yr",
        "--by",
        "sex",
        "--out",
        "apc.csv",
    )
    assert code == 0, err
    assert "crude rate" in out
    for row in read(here / "apc.csv"):
        ref = next(r for r in REF["apc"] if r["sex"] == row["sex"] and r["value"] == "crude_rate")
        assert float(row["apc"]) == pytest.approx(ref["apc"], rel=RTOL)
        assert float(row["p_value"]) == pytest.approx(ref["p_value"], rel=RTOL)


BAD_COUNTS = [
    ("0-4,-1,100", "row 2, field 'cases': must not be negative"),
    ("0-4,1,-5", "row 2, field 'pyrs': must not be negative"),
    ("0-4,two,100", "row 2, field 'cases': not a number"),
    ("0-4,1,1e400x", "row 2, field 'pyrs': not a number"),
    ("0-4,3,0", "row 2, field 'pyrs': cases but no person-years"),
    ("0-5,1,100", "row 2, field 'age_group': unknown age group"),
    ("0-4,,100", "row 2, field 'cases': a number is required"),
]


@pytest.mark.parametrize(("line", "message"), BAD_COUNTS, ids=[m for _, m in BAD_COUNTS])
def test_bad_counts_name_file_row_and_column(here, capsys, line, message):
    write(here / "c.csv", f"sex,age_group,cases,pyrs\nM,{line}\nM,5-9,1,100\n")
    code, out, err = run(capsys, "rates", "--counts", "c.csv", "--by", "sex", "--out", "o.csv")
    assert code == 1 and out == ""
    assert "error: c.csv:" in err and message in err
    assert "Traceback" not in err and not (here / "o.csv").exists()


def test_every_problem_of_a_file_is_reported(here, capsys):
    write(
        here / "c.csv",
        "sex,age_group,cases,pyrs\nM,0-4,1,100\nM,0-4,1,100\n\nF,5-9,x,10\n,10-14,1,1\n",
    )
    code, _, err = run(capsys, "rates", "--counts", "c.csv", "--by", "sex", "--out", "o.csv")
    assert code == 1
    assert "3 problem(s)" in err
    assert "row 3, field 'age_group': the same stratum and age group as row 2" in err
    assert "row 5, field 'cases': not a number" in err  # the blank line is row 4
    assert "row 6, field 'sex': a stratum value is required" in err


def test_duplicates_without_by_suggest_the_by_columns(here, capsys):
    write(here / "c.csv", "sex,age_group,cases,pyrs\nM,0-4,1,100\nF,0-4,1,100\n")
    code, _, err = run(capsys, "rates", "--counts", "c.csv", "--out", "o.csv")
    assert code == 1 and "should sex be stratum (--by) columns?" in err


@pytest.mark.parametrize(
    ("header", "args", "message"),
    [
        ("sex,age_group,cases", ["--by", "sex"], "c.csv: missing column(s) pyrs"),
        ("age_group,cases,pyrs", ["--by", "sex,site"], "c.csv: missing --by column(s) sex, site"),
    ],
)
def test_missing_columns(here, capsys, header, args, message):
    write(here / "c.csv", f"{header}\n")
    code, _, err = run(capsys, "rates", "--counts", "c.csv", *args, "--out", "o.csv")
    assert code == 1 and message in err


def test_bad_cases_and_population(here, capsys):
    write(here / "pop.csv", "sex,age_group,pyrs\nM,0-4,100\nM,85+,50\nF,0-4,0\n")
    write(here / "cases.csv", "sex,age\nM,3\nM,-1\nM,old\nF,2\nM,\nM,90\n")
    code, _, err = run(
        capsys, "rates", "--cases", "cases.csv", "--population", "pop.csv", "--by", "sex",
        "--out", "o.csv",
    )  # fmt: skip
    assert code == 1 and "error: cases.csv: 4 problem(s)" in err
    assert "row 3, field 'age': age must be a number of years, 0 or more" in err
    assert "row 4, field 'age'" in err and "row 6, field 'age'" in err
    assert "row 5, field 'age': 1 case(s) (the first here) in stratum sex=F" in err
    write(here / "pop.csv", "sex,age_group,pyrs\nM,0-4,-100\n")
    code, _, err = run(
        capsys, "rates", "--cases", "cases.csv", "--population", "pop.csv", "--by", "sex",
        "--out", "o.csv",
    )  # fmt: skip
    assert code == 1 and "pop.csv" in err and "row 2, field 'pyrs': must not be negative" in err
    write(here / "pop.csv", "age_group,pyrs\n0-4,100\n")
    code, _, err = run(
        capsys, "rates", "--cases", "cases.csv", "--population", "pop.csv", "--by", "sex",
        "--out", "o.csv",
    )  # fmt: skip
    assert code == 1 and "pop.csv: missing --by column(s) sex" in err


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--counts", "c.csv", "--cases", "c.csv"],
        ["--cases", "c.csv"],
        ["--counts", "c.csv", "--population", "c.csv"],
    ],
)
def test_counts_or_cases_with_population(here, capsys, args):
    code, _, err = run(capsys, "rates", *args, "--out", "o.csv")
    assert code == 1 and "error:" in err and "Traceback" not in err
    assert "--counts" in err or "--population" in err


def test_files_that_are_not_there_or_not_csv(here, capsys):
    code, _, err = run(capsys, "rates", "--counts", "nope.csv", "--out", "o.csv")
    assert code == 1 and "nope.csv: file not found" in err
    (here / "latin1.csv").write_bytes(
        "age_group,cases,pyrs,note\n0-4,1,10,\xe9\n".encode("latin-1")
    )
    code, _, err = run(capsys, "rates", "--counts", "latin1.csv", "--out", "o.csv")
    assert code == 1 and "not UTF-8 text" in err


def test_bad_trend_files(here, capsys):
    write(here / "t.csv", "year,cases,pyrs\n2001,3,100\n2002,0,100\n2003,5,100\n")
    code, _, err = run(capsys, "trend", "--counts", "t.csv", "--out", "o.csv")
    assert code == 1 and "stratum all: year 2002 has a rate of 0" in err
    write(here / "t.csv", "year,cases,pyrs\n2001,3,100\n20x2,1,100\n2001,5,100\n")
    code, _, err = run(capsys, "trend", "--counts", "t.csv", "--out", "o.csv")
    assert code == 1 and "row 3, field 'year': a year is required" in err
    assert "row 4, field 'year': the same stratum as row 2" in err
    code, _, err = run(capsys, "trend", "--counts", "t.csv", "--year-col", "yr", "--out", "o.csv")
    assert code == 1 and "missing --year-col column yr" in err


def test_options_are_checked(here, capsys):
    counts = counts_file(here / "counts.csv", "sparse")
    code, _, err = run(capsys, "rates", "--counts", str(counts), "--conf", "95", "--out", "o.csv")
    assert code == 1 and "confidence level" in err
    code, _, err = run(capsys, "rates", "--counts", str(counts), "--out", "no/such/o.csv")
    assert code == 1 and "does not exist" in err
    code, _, _ = run(capsys, "rates", "--counts", str(counts), "--standard", "mars", "--out", "o")
    assert code == 2


@pytest.mark.parametrize("command", ["rates", "trend"])
def test_help_has_an_example(here, capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and f"Example: {EXAMPLES[f'stats {command}']}" in out
