"""Benchmark of the synthetic registry generator (CSV output).

Run: .venv/bin/python bench/synth.py [--persons 2000000] [--out /tmp/oncoreg-bench-synth]

Prints persons, tumours, reports, seconds, reports/s and peak memory (RSS). Targets
(issue: synthetic national registry): >= 200,000 reports/s for CSV output; 2 million
tumours (about 5 million reports) within 2 minutes and 4 GiB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from oncoreg.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--facilities", type=int, default=120)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="oncoreg-bench-synth-")) / "registry"
    started = time.perf_counter()
    result = generate(
        persons=args.persons,
        years="2015-2024",
        facilities=args.facilities,
        seed=1,
        out=out,
        formats=("csv",),
    )
    seconds = time.perf_counter() - started
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"persons        {result.persons:>12,}")
    print(f"tumours        {result.tumours:>12,}")
    print(f"reports        {result.reports:>12,}")
    print(f"seconds        {seconds:>12.1f}")
    print(f"reports/s      {result.reports / seconds:>12,.0f}")
    print(f"peak RSS (GiB) {peak_gib:>12.2f}")
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
