"""Benchmark: persons eligible for a trial, on a generated registry of 200,000 tumours.

Run: .venv/bin/python bench/trials.py [--tumours 200000] [--url sqlite:///...]

Writes a fresh registry (SQLite in a temporary folder unless --url names an empty
database) with one tumour per person and one report per tumour, drawn with a fixed seed
over Vietnam's leading sites, stages, treatments and vital status (no names: the
benchmark measures matching, not linkage), imports the demo trials and prints the time
of ``eligible_persons`` for each and of ``match_person`` for one person. Target: a few
seconds per trial at 200,000 tumours on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from oncoreg.model import FacilityLevel, FacilityType, RecordStatus
from oncoreg.network import trials
from oncoreg.services.access import SYSTEM
from oncoreg.store import Facility, Person, Source, Store, Tumour, upgrade

TODAY = date(2026, 6, 15)
SITES = ["C22.0", "C34.1", "C34.9", "C50.4", "C11.9", "C18.7", "C20.9", "C53.9", "C16.9"]
MORPHS = ["8170/3", "8140/3", "8070/3", "8500/3", "8020/3", "8041/3", "8000/3"]
STAGES = ["I", "II", "III", "IIIA", "IV", None]
FACILITIES = ["VN-K", "VN-BM", "VN-CR", "HN-UB", "HCM-UB", "VN-HUE", "DN-UB"]


def _rows(n: int, seed: int = 11) -> tuple[list[dict], list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    born = rng.integers(0, 365 * 70, n)
    diagnosed = rng.integers(0, 365 * 5, n)
    picks = rng.integers(0, 1000, (n, 3))
    persons, tumours, sources = [], [], []
    for i in range(n):
        pid = i + 1
        persons.append(
            {
                "id": pid,
                "sex": "1" if rng.random() < 0.5 else "2",
                "birth_date": date(1935, 1, 1) + timedelta(days=int(born[i])),
                "status": RecordStatus.CONFIRMED,
            }
        )
        tumours.append(
            {
                "id": pid,
                "person_id": pid,
                "topography": SITES[picks[i, 0] % len(SITES)],
                "morphology": MORPHS[picks[i, 1] % len(MORPHS)],
                "stage": STAGES[picks[i, 2] % len(STAGES)],
                "diagnosis_date": TODAY - timedelta(days=int(diagnosed[i])),
                "status": RecordStatus.CONFIRMED,
            }
        )
        flags = rng.integers(0, 3, 4)
        sources.append(
            {
                "facility_id": 1 + i % len(FACILITIES),
                "report_id": f"B-{pid}",
                "tumour_id": pid,
                "surgery": "01"[flags[0] % 2],
                "radiotherapy": "01"[flags[1] % 2] if flags[1] < 2 else None,
                "chemotherapy": "01"[flags[2] % 2],
                "vital_status": "2" if flags[3] == 0 and rng.random() < 0.3 else "1",
                "status": RecordStatus.CONFIRMED,
            }
        )
    return persons, tumours, sources


def build(store: Store, n: int) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            insert(Facility),
            [
                {
                    "id": i + 1,
                    "code": code,
                    "name_vi": code,
                    "province_code": "01",
                    "level": FacilityLevel.CENTRAL,
                    "type": FacilityType.HOSPITAL,
                    "status": RecordStatus.CONFIRMED,
                }
                for i, code in enumerate(FACILITIES)
            ],
        )
        persons, tumours, sources = _rows(n)
        for table, rows in ((Person, persons), (Tumour, tumours), (Source, sources)):
            for start in range(0, n, 50_000):
                connection.execute(insert(table), rows[start : start + 50_000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tumours", type=int, default=200_000)
    parser.add_argument("--url", default=None, help="an empty database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
        store = Store(url, "bench-secret-" + "b" * 40)
        upgrade(store)
        started = time.perf_counter()
        build(store, args.tumours)
        print(
            f"registry of {args.tumours:,} tumours written in {time.perf_counter() - started:.1f} s"
        )
        trials.import_trials(store, SYSTEM, trials.demo_trials_text(), name="demo/trials.toml")
        for listing in trials.list_trials(store, SYSTEM):
            started = time.perf_counter()
            found = trials.eligible_persons(store, SYSTEM, listing.code, TODAY, limit=50)
            seconds = time.perf_counter() - started
            print(
                f"eligible persons {listing.code:<16} {seconds:6.2f} s  "
                f"({found['count']:,} eligible or possibly, {found['eligible']:,} eligible)"
            )
        started = time.perf_counter()
        trials.match_person(store, SYSTEM, 2, TODAY)
        print(f"match one person: {time.perf_counter() - started:.3f} s")
        store.dispose()


if __name__ == "__main__":
    main()
