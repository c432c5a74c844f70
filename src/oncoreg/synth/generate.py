"""``generate()``: a whole synthetic registry, from population to hospital files.

Output folder::

    population.csv          province_code, sex, age_group, year, pyrs (scaled like the cases)
    lifetable.csv           sex, age, year, haz: the background mortality the persons were given
    facilities.csv          the reporting facilities (the facility-import CSV)
    reports/csv/<F>-<Y>.csv     canonical report CSV of facility F for diagnosis year Y
    reports/xlsx/<F>-<Y>.xlsx   hospital workbooks (through the facility's mapping profile)
    reports/fhir/<Y>/<F>/...    FHIR R4 mCODE bundles, one per patient per facility and year
    reports/naaccr/<F>-<Y>.xml  NAACCR XML
    truth/reports.csv       report_id, facility_code, person_id, tumour_id, role, injected_error
    truth/tumours.csv       the true tumours; truth/persons.csv the true persons
    manifest.json           parameters, counts and files

Each facility sends its reports in one format, one file (or folder) per year of diagnosis,
as hospitals send annual returns; each report is in exactly one file. Reports are built and
written one year at a time, so memory follows a year's reports, not the whole registry.
The same parameters and seed give byte-identical files.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from oncoreg.errors import InputError
from oncoreg.synth import errors
from oncoreg.synth import facilities as facility_mod
from oncoreg.synth import outcomes as outcome_mod
from oncoreg.synth import reports as report_mod
from oncoreg.synth import tumours as tumour_mod
from oncoreg.synth.calibration import (
    AGE_GROUPS,
    mortality,
    mortality_period,
    population,
    province_shares,
    sites,
)

FORMATS = ("csv", "xlsx", "fhir", "naaccr")
# the life table's oldest single year of age: the 100+ rate is repeated up to it, so that
# ten years of follow-up of persons diagnosed at 99 stay within the table
LIFETABLE_TOP_AGE = 110


@dataclass
class SynthResult:
    """What was generated and where."""

    out: Path
    persons: int
    tumours: int
    reports: int
    facilities: int
    invalid_reports: int
    scale: float
    files: dict[str, int] = field(default_factory=dict)
    years: range = range(0)


def parse_years(text: str) -> range:
    """``2015-2024`` or ``2020`` -> a range of years (within the population table)."""
    try:
        first, _, last = str(text).partition("-")
        years = range(int(first), int(last or first) + 1)
    except ValueError:
        raise InputError(f"{text!r} is not a year range", hint="write e.g. 2015-2024") from None
    known = population()
    if not years or years.start not in known or years[-1] not in known:
        raise InputError(
            f"years {text} are outside {min(known)}-{max(known)}",
            hint=f"choose years within {min(known)}-{max(known)}",
        )
    return years


def _check(persons: int, k: int, formats: tuple[str, ...], invalid_share: float) -> None:
    if persons < 1:
        raise InputError("--persons must be at least 1")
    if k < 3:
        raise InputError("--facilities must be at least 3 (a hospital, a lab, a death registry)")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(
            f"unknown format(s) {', '.join(unknown) or '(none)'}",
            hint=f"choose from {', '.join(FORMATS)}",
        )
    if not 0 <= invalid_share < 0.5:
        raise InputError("the share of invalid reports must be between 0 and 0.5")


def generate(
    persons: int = 20_000,
    years: str | range = "2015-2024",
    facilities: int = 30,
    seed: int = 1,
    out: Path | str = "synth",
    formats: tuple[str, ...] = ("csv",),
    invalid_share: float = 0.01,
) -> SynthResult:
    """Generate a synthetic registry into ``out`` (replaced if it exists).

    Args:
        persons: number of persons with cancer.
        years: years of diagnosis, e.g. ``"2015-2024"``.
        facilities: number of reporting facilities.
        seed: random seed; the same seed gives byte-identical output.
        out: output folder.
        formats: file formats the facilities send, among csv, xlsx, fhir, naaccr.
        invalid_share: share of reports made invalid on purpose.
    """
    formats = tuple(formats)
    _check(persons, facilities, formats, invalid_share)
    span = years if isinstance(years, range) else parse_years(years)
    rng = np.random.default_rng(seed)
    closing = np.datetime64(f"{span[-1]}-12-31")
    people, first, scale = tumour_mod.draw(rng, persons, span)
    fate = outcome_mod.simulate(rng, people, first, closing)
    second = tumour_mod.second_primaries(rng, people, first, closing, fate.last_contact)
    all_tumours = tumour_mod.concat(first, second)
    _dco_dates(all_tumours, fate)
    out = Path(out)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "truth").mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=1) as writer:
        # the tumour frame needs no random draws: built in the background meanwhile
        tumours = writer.submit(_tumour_frame, all_tumours, people)
        facs = facility_mod.facilities(facilities, formats, rng)
        plan = report_mod.plan(rng, people, all_tumours, fate, facs, tumours)
        truth = writer.submit(_write_truth, tmp, plan, all_tumours)
        files, reports, invalid = _write_reports(
            writer, rng, tmp, plan, facs, formats, closing, invalid_share
        )
        truth.result()
    _write_population(tmp, span, scale)
    _write_lifetable(tmp, span)
    _write_facilities(tmp, facs)
    result = SynthResult(
        out, persons, all_tumours.person.size, reports, len(facs), invalid, scale, files, span
    )
    _write_manifest(tmp, result, span, seed, formats, invalid_share)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return result


def _write_reports(writer, rng, root: Path, plan, facs, formats, closing, invalid_share):
    """Build the reports one year at a time, already in file order; write each year's files
    and truth rows in the background ``writer`` thread while the next year is built (the
    writers run in Rust or C and release the GIL). Files, their order and their bytes do
    not depend on the thread."""
    counts = dict.fromkeys(formats, 0)
    total = invalid = 0
    with (root / "truth" / "reports.csv").open("w", encoding="utf-8", newline="") as truth_file:
        pending = []
        for year in np.unique(plan.report_year):
            rows = np.flatnonzero(plan.report_year == year)
            order = _file_order(plan, facs, rows)
            frame, truth = report_mod.chunk(rng, plan, rows, closing, pl.Series(order))
            frame, injected = errors.inject(rng, frame, invalid_share, order)
            truth = truth.with_columns(
                injected_error=pl.Series(injected.tolist(), dtype=pl.String).replace("", None)
            )
            for job in pending:
                job.result()
            pending = [
                writer.submit(truth.write_csv, truth_file, include_header=total == 0),
                writer.submit(_write_year, root, facs, year, frame, counts),
            ]
            total += frame.height
            invalid += int((injected != "").sum())
        for job in pending:
            job.result()
    return counts, total, invalid


def _file_order(plan, facs, rows: np.ndarray) -> np.ndarray:
    """The order of a year's reports in the files: by facility code, then report ID.

    Sorts integers (the rank of the facility code, the report number) instead of the text:
    the same order, since a report ID is the facility code and the zero-padded number."""
    codes = np.array([f.code for f in facs], dtype=object)
    rank = np.empty(codes.size, dtype=np.int64)
    rank[np.argsort(codes, kind="stable")] = np.arange(codes.size)
    seq = plan.numbers["report_seq"].to_numpy()[rows]
    return np.lexsort((seq, rank[plan.roles.facility[rows]]))


def _write_year(root: Path, facs, year, frame: pl.DataFrame, counts) -> None:
    """Write one year's reports (in file order), one file (or folder) per facility."""
    fmt_of = {f.code: f.format for f in facs}
    bounds = frame.select(pl.col("facility_code").rle()).unnest("facility_code")
    lengths, codes = bounds["len"].to_list(), bounds["value"].to_list()
    formats = [fmt_of[code] for code in codes]
    lines = None
    if "csv" in formats:
        lines = CsvLines(_csv_rows(frame, lengths, formats), root / f"reports-{year}.partial")
    start = 0
    for length, code, fmt in zip(lengths, codes, formats, strict=True):
        if fmt == "csv":
            lines.write(root / "reports" / fmt / f"{code}-{year}.csv", length)
        else:
            _writer(fmt)(root / "reports" / fmt, f"{code}-{year}", frame.slice(start, length))
        counts[fmt] += length
        start += length


def _csv_rows(frame: pl.DataFrame, lengths: list[int], formats: list[str]) -> pl.DataFrame:
    """The rows of the facilities that send CSV (all of them, usually: no copy then)."""
    if all(fmt == "csv" for fmt in formats):
        return frame
    is_csv = np.repeat([fmt == "csv" for fmt in formats], lengths)
    return frame.filter(pl.Series(is_csv))


class CsvLines:
    """A frame written once as CSV text, then handed out as files of consecutive rows.

    One ``write_csv`` of a whole year is several times faster than one per facility; each
    file is the header and its rows' lines, byte for byte what ``write_csv`` of the slice
    writes. The text goes through a scratch file (written in Rust, without the GIL, so the
    next year's reports are built meanwhile). Falls back to writing each slice if a value
    holds a line break."""

    def __init__(self, frame: pl.DataFrame, scratch: Path) -> None:
        self.frame, self.next_row = frame, 0
        frame.write_csv(scratch)
        self.text = scratch.read_bytes()
        scratch.unlink()
        ends = np.flatnonzero(np.frombuffer(self.text, dtype=np.uint8) == ord("\n")) + 1
        self.line_ends = ends if ends.size == frame.height + 1 else None

    def write(self, path: Path, rows: int) -> None:
        """Write the next ``rows`` rows (and the header) to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        first, self.next_row = self.next_row, self.next_row + rows
        if self.line_ends is None:
            self.frame.slice(first, rows).write_csv(path)
            return
        text, ends = memoryview(self.text), self.line_ends
        with path.open("wb") as out:
            out.write(text[: ends[0]])
            out.write(text[ends[first] : ends[first + rows]])


def _dco_dates(t, fate) -> None:
    """A death-certificate-only case is incident at death; alive DCOs become clinical."""
    dco = np.flatnonzero(t.basis == "0")
    death = fate.death[t.person[dco]]
    alive = np.isnat(death)
    t.basis[dco[alive]] = "1"
    t.diagnosis[dco[~alive]] = death[~alive]


def _tumour_frame(t, people) -> pl.DataFrame:
    return report_mod.tumour_frame(t, _cause_codes(t, people))


def _cause_codes(t, people) -> pl.Series:
    from oncoreg.codes.icd10 import to_icd10

    def convert(pair: str) -> str:
        topo, morph, sex = pair.split("|")
        try:
            return to_icd10(topo, morph, int(sex)).code
        except Exception:  # noqa: BLE001 - a cause is optional; never fail the run for it
            return topo[:3]

    keys = (
        pl.DataFrame(
            {
                "t": pl.Series(t.topography, dtype=pl.String),
                "m": pl.Series(t.morphology, dtype=pl.String),
                "s": pl.Series(people.sex[t.person].tolist(), dtype=pl.String),
            }
        )
        .select(pl.concat_str(["t", "m", "s"], separator="|"))
        .to_series()
    )
    mapping = {k: convert(k) for k in keys.unique().to_list()}
    return keys.replace_strict(mapping, return_dtype=pl.String)


def _writer(fmt: str):
    """The writer of a facility's reports in ``fmt`` (CSV files are cut by CsvLines)."""

    def xlsx(folder: Path, code: str, part: pl.DataFrame) -> None:
        from oncoreg.export.xlsx import write_xlsx
        from oncoreg.ingest.profiles import load_profile, shipped_profiles

        folder.mkdir(parents=True, exist_ok=True)
        names = sorted(shipped_profiles())
        profile = load_profile(names[sum(map(ord, code)) % len(names)])
        write_xlsx(part, folder / f"{code}.xlsx", profile)

    def fhir(folder: Path, code: str, part: pl.DataFrame) -> None:
        from oncoreg.export.fhir import write_fhir_bundles

        _, _, year = code.rpartition("-")
        write_fhir_bundles(part, folder / year)

    def naaccr(folder: Path, code: str, part: pl.DataFrame) -> None:
        from oncoreg.export.naaccr import write_naaccr

        folder.mkdir(parents=True, exist_ok=True)
        # hospitals report to the registry with abstracts (names and contacts included);
        # incidence-only records leave out everything that links a person
        write_naaccr(part, folder / f"{code}.xml", record_type="A")

    return {"xlsx": xlsx, "fhir": fhir, "naaccr": naaccr}[fmt]


def _write_truth(root: Path, plan, t) -> None:
    folder = root / "truth"
    site_ids = np.array([s.id for s in sites()], dtype=object)
    tumours = plan.tumours
    pl.DataFrame(
        {
            "tumour_id": np.arange(1, t.person.size + 1),
            "person_id": t.person + 1,
            "sequence": t.sequence,
            "site": pl.Series(site_ids[t.site].tolist(), dtype=pl.String),
            "topography": tumours["t_topography"],
            "morphology": tumours["t_morphology"],
            "icd10": tumours["t_cause"],
            "basis": tumours["basis"],
            "grade": tumours["t_grade"],
            "stage": tumours["stage"].replace("", None),
            "laterality": tumours["t_laterality"],
            "diagnosis_date": tumours["diagnosis"],
        }
    ).write_csv(folder / "tumours.csv")
    p = plan.persons
    p.select(
        pl.int_range(1, p.height + 1).alias("person_id"),
        pl.col("family").alias("family_name"),
        pl.col("middle").replace("", None).alias("middle_name"),
        pl.col("given").alias("given_name"),
        "sex",
        pl.col("birth").alias("birth_date"),
        pl.col("province_2004").alias("province_code"),
        "national_id",
        pl.when(pl.col("death").is_null())
        .then(pl.lit("1"))
        .otherwise(pl.lit("2"))
        .alias("vital_status"),
        pl.col("last_contact").alias("last_contact_date"),
        pl.col("death").alias("death_date"),
        pl.when("cancer_death")
        .then(pl.lit("cancer"))
        .otherwise("other_cause")
        .alias("cause_of_death"),
    ).write_csv(folder / "persons.csv")


def _write_population(root: Path, span: range, scale: float) -> None:
    codes, shares = province_shares()
    frames = []
    for year in span:
        grid = population()[year] * scale  # [sex, age]
        pyrs = shares[:, None, None] * grid[None, :, :]
        p_idx, s_idx, a_idx = np.indices(pyrs.shape).reshape(3, -1)
        frames.append(
            pl.DataFrame(
                {
                    "province_code": np.asarray(codes)[p_idx],
                    "sex": np.where(s_idx == 0, "1", "2"),
                    "age_group": np.asarray(AGE_GROUPS)[a_idx],
                    "year": np.full(p_idx.size, year),
                    "pyrs": np.round(pyrs.ravel(), 3),
                }
            )
        )
    pl.concat(frames).write_csv(root / "population.csv")


def _write_lifetable(root: Path, span: range) -> None:
    """The background mortality as a life table (annual hazard by sex, single year of age
    0-110 and calendar year): each year takes the WPP period it falls in, each age its
    abridged group's rate. (The persons were given the rates of their year of diagnosis's
    period, a close but not identical choice for follow-up that crosses periods.)"""
    ages = np.arange(0, LIFETABLE_TOP_AGE + 1)
    frames = []
    for (start, sex), (starts, mx) in sorted(mortality().items()):
        band = np.searchsorted(starts, ages, side="right") - 1
        years = [y for y in span if mortality_period(y) == start]
        for year in years:
            frames.append(
                pl.DataFrame(
                    {
                        "sex": np.full(ages.size, int(sex)),
                        "age": ages,
                        "year": np.full(ages.size, year),
                        "haz": mx[band],
                    }
                )
            )
    pl.concat(frames).sort("sex", "year", "age").write_csv(root / "lifetable.csv")


def _write_facilities(root: Path, facs) -> None:
    rows = {c: [getattr(f, c) for f in facs] for c in facility_mod.CSV_COLUMNS}
    pl.DataFrame(rows).write_csv(root / "facilities.csv")


def _write_manifest(root, result: SynthResult, span, seed, formats, invalid_share) -> None:
    body = asdict(result) | {
        "out": str(result.out),
        "years": f"{span[0]}-{span[-1]}",
        "seed": seed,
        "formats": list(formats),
        "invalid_share": invalid_share,
    }
    (root / "manifest.json").write_text(
        json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
