"""Benchmark: import + normalise + check of canonical CSV reports into the SQLite default.

Run: .venv/bin/python bench/imports.py [--reports 1000000]

Generates a synthetic registry (CSV only), joins its report files into one CSV, imports it
into a fresh SQLite registry and prints seconds per stage, reports/s end to end and peak
memory. Also times the whole check rule set alone (reports/s). Targets (issue: import and
check): >= 20,000 reports/s end to end on 2 cores, peak memory under 4 GiB; >= 50,000
reports/s for the rule set.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oncoreg.checks.engine import run
from oncoreg.ingest.normalise import for_checks, normalise
from oncoreg.ingest.readers import read_reports
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.registry import seed_provinces
from oncoreg.store import Store, upgrade


def _reports_csv(work: Path, reports: int) -> Path:
    """Generate the input in a child process, so that peak memory measures the import."""
    code = (
        "import sys; from pathlib import Path; import polars as pl\n"
        "from oncoreg.synth import generate\n"
        "work = Path(sys.argv[1]); persons = int(sys.argv[2])\n"
        "generate(persons=persons, years='2015-2024', facilities=60, seed=3, out=work / 'synth')\n"
        "files = sorted((work / 'synth' / 'reports' / 'csv').glob('*.csv'))\n"
        "pl.concat([pl.read_csv(f, infer_schema=False) for f in files])"
        ".write_csv(work / 'reports.csv')\n"
    )
    persons = max(100, int(reports / 2.1))
    subprocess.run([sys.executable, "-c", code, str(work), str(persons)], check=True)
    return work / "reports.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oncoreg-bench-import-"))
    try:
        path = _reports_csv(work, args.reports)
        store = Store(f"sqlite:///{work / 'registry.db'}", "bench-secret-" + "x" * 40)
        upgrade(store)
        seed_provinces(store)
        import_facilities(store, work / "synth" / "facilities.csv")
        started = time.perf_counter()
        summary = import_file(store, path, actor="bench")
        total = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        frame = for_checks(normalise(read_reports(path).frame))
        check_started = time.perf_counter()
        findings = run(frame)
        check_seconds = time.perf_counter() - check_started
        print(f"reports read       {summary.rows_read:>12,}")
        print(f"imported/rejected  {summary.imported:>12,} / {summary.rejected:,}")
        for stage, seconds in summary.seconds.items():
            print(f"  {stage:<16} {seconds:>10.1f} s")
        print(f"end to end         {total:>12.1f} s")
        print(f"reports/s          {summary.rows_read / total:>12,.0f}")
        print(
            f"check rule set     {frame.height / check_seconds:>12,.0f} reports/s "
            f"({findings.height:,} findings)"
        )
        print(f"peak RSS (GiB)     {peak:>12.2f}  (import process, before the rule-set timing)")
        store.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
