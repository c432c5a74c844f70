"""Benchmark: the web application under load on PostgreSQL (locust, 50 clients).

Run: .venv/bin/python bench/web.py [--tumours 2000000] [--users 50] [--minutes 5]
                                   [--database URL] [--reuse]

1. Builds a registry of about N tumours in the PostgreSQL database URL (default
   ``oncoreg_bench_web`` on 127.0.0.1, dropped and created) unless ``--reuse`` finds one:
   a synthetic registry (``oncoreg.synth``, CSV reports) whose report files are imported
   with ``import_file`` (readers, normalisation, checks, store); its persons and tumours
   are then loaded from the generator's ground truth and the reports attached to them,
   instead of running the linkage (benchmarked in bench/linkage.py): what is measured here
   is the web application over a registry of that size. Population and life table are
   imported as usual.
2. Serves ``oncoreg serve`` (uvicorn, one worker per core) on a free loopback port.
3. Runs locust headless for ``--minutes`` with ``--users`` concurrent clients, each signed in
   (a registrar or an analyst, half each) and asking, with no pause, for the dashboard page,
   the incidence API, a chart, and person searches by realistic names (with and without
   diacritics, taken from the registry).
4. Prints requests, failures and the 50th/95th/99th percentile response times per
   endpoint. Target (issue: web application): p95 < 200 ms for the dashboard and search
   endpoints, no errors over 5 minutes, with 2 million tumours.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from oncoreg.services.access import SYSTEM
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.population import import_life_table, import_population
from oncoreg.services.registry import seed_provinces
from oncoreg.services.users import create_user
from oncoreg.store import Person, Source, Store, Tumour, upgrade
from oncoreg.store.bulk import bulk_insert
from oncoreg.store.identifiers import keyed_hashes
from oncoreg.synth import generate
from oncoreg.text import fold_vietnamese

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/oncoreg_bench_web"
SECRET = "bench-web-secret-" + "b" * 40
PASSWORD = "bench password long enough"
HERE = Path(__file__).resolve().parent
YEARS = "2015-2024"
CHUNK = 250_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tumours", type=int, default=2_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep a registry built before")
    parser.add_argument(
        "--think", default="1-3", help="seconds each client waits between requests (0: none)"
    )
    args = parser.parse_args()
    store = Store(args.database, SECRET)
    if not (args.reuse and _tumours(store) >= 0.95 * args.tumours):
        store.dispose()
        _fresh_database(args.database)
        store = Store(args.database, SECRET)
        build(store, args.tumours)
    names = sample_names(store)
    years = _dashboard_years(store)
    print(f"registry: {_tumours(store):,} tumours, {_count(store, Source):,} reports")
    store.dispose()
    work = Path(tempfile.mkdtemp(prefix="oncoreg-bench-web-"))
    try:
        (work / "names.txt").write_text("\n".join(names), encoding="utf-8")
        with serve(args.database) as url:
            warm_up(url, years)
            stats = run_locust(url, work, args.users, args.minutes, years, args.think)
        report(stats)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fresh_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _count(store: Store, table) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def _tumours(store: Store) -> int:
    try:
        return _count(store, Tumour)
    except Exception:  # noqa: BLE001 - no registry there yet
        return 0


def build(store: Store, tumours: int) -> None:
    started = time.perf_counter()
    upgrade(store)
    seed_provinces(store)
    synth_dir = Path(tempfile.mkdtemp(prefix="oncoreg-bench-web-synth-"))
    try:
        persons = max(200, int(tumours / 1.03))
        generate(
            persons=persons, years=YEARS, facilities=60, seed=7, out=synth_dir, formats=("csv",)
        )
        _lap(started, "generated")
        import_facilities(store, synth_dir / "facilities.csv")
        files = sorted((synth_dir / "reports" / "csv").glob("*.csv"))
        for number, path in enumerate(files, start=1):
            import_file(store, path, actor="bench")
            if number % 50 == 0:
                _lap(started, f"imported {number}/{len(files)} files")
        _lap(started, "imported")
        load_truth(store, synth_dir / "truth")
        _lap(started, "persons and tumours loaded")
        import_population(store, synth_dir / "population.csv")
        import_life_table(store, synth_dir / "lifetable.csv")
        for role in ("registrar", "analyst"):
            create_user(store, SYSTEM, username=f"bench-{role}", role=role, password=PASSWORD)
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        _lap(started, "registry ready")
    finally:
        shutil.rmtree(synth_dir, ignore_errors=True)


def _lap(started: float, what: str) -> None:
    print(f"  {time.perf_counter() - started:8.1f} s  {what}", flush=True)


def load_truth(store: Store, truth: Path) -> None:
    """Persons and tumours of the ground truth, and each report's tumour."""
    from oncoreg.codes.provinces import province

    persons = pl.read_csv(truth / "persons.csv", infer_schema=False)
    successors = {c: province(c, "2004").new_code for c in persons["province_code"].unique()}
    with store.engine.begin() as conn:
        hashes = keyed_hashes(persons["national_id"].to_list(), SECRET, "national_id")
        frame = persons.select(
            pl.col("person_id").cast(pl.Int64).alias("id"),
            "family_name",
            "middle_name",
            "given_name",
            "sex",
            pl.col("birth_date").str.to_date(),
            pl.lit("day").alias("birth_date_precision"),
            pl.col("province_code").alias("province_code_2004"),
            pl.col("province_code").replace_strict(successors).alias("province_code"),
            pl.Series("national_id_hash", hashes),
            pl.lit("confirmed").alias("status"),
        )
        _insert(conn, Person.__table__, frame)
        tumours = pl.read_csv(truth / "tumours.csv", infer_schema=False).select(
            pl.col("tumour_id").cast(pl.Int64).alias("id"),
            pl.col("person_id").cast(pl.Int64),
            pl.col("sequence").cast(pl.Int16),
            "topography",
            "morphology",
            "icd10",
            "basis",
            "grade",
            "stage",
            "laterality",
            pl.col("diagnosis_date").str.to_date(),
            pl.lit("day").alias("diagnosis_date_precision"),
            pl.lit("confirmed").alias("status"),
        )
        _insert(conn, Tumour.__table__, tumours)
        _attach_reports(conn, pl.read_csv(truth / "reports.csv", infer_schema=False))


def _insert(conn, table, frame: pl.DataFrame) -> None:
    now = pl.lit(time.strftime("%Y-%m-%d %H:%M:%S")).str.to_datetime(time_zone="UTC")
    frame = frame.with_columns(created_at=now, updated_at=now)
    for start in range(0, frame.height, CHUNK):
        bulk_insert(conn, table, frame.slice(start, CHUNK))
    conn.execute(text(f"SELECT setval('{table.name}_id_seq', (SELECT max(id) FROM {table.name}))"))


def _attach_reports(conn, reports: pl.DataFrame) -> None:
    conn.execute(
        text("CREATE TEMP TABLE truth_links (facility_code text, report_id text, tumour_id int)")
    )
    raw = conn.connection.driver_connection
    with raw.cursor().copy("COPY truth_links FROM STDIN") as copy:
        for row in reports.select("facility_code", "report_id", "tumour_id").iter_rows():
            copy.write_row(row)
    conn.execute(
        text(
            "UPDATE sources SET tumour_id = t.tumour_id FROM truth_links t, facilities f "
            "WHERE f.code = t.facility_code AND sources.facility_id = f.id "
            "AND sources.report_id = t.report_id"
        )
    )


def sample_names(store: Store, count: int = 400) -> list[str]:
    """Realistic searches: full names and family + given names of stored reports, half of
    them typed without diacritics."""
    with store.session() as session:
        rows = session.execute(
            select(Source.family_name, Source.middle_name, Source.given_name)
            .where(Source.given_name.is_not(None), Source.family_name.is_not(None))
            .order_by(func.random())
            .limit(count)
        ).all()
    rng = random.Random(3)
    names = []
    for family, middle, given in rows:
        name = " ".join(p for p in (family, middle if rng.random() < 0.5 else None, given) if p)
        names.append(fold_vietnamese(name) if rng.random() < 0.5 else name)
    return names


def _dashboard_years(store: Store) -> str:
    from oncoreg.services.published import default_years

    span = default_years(store)
    return f"{span.start}-{span.stop - 1}"


class serve:
    """``oncoreg serve`` in a child process, one worker per core."""

    def __init__(self, database: str) -> None:
        self.database = database
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def __enter__(self) -> str:
        env = dict(os.environ, ONCOREG_DATABASE_URL=self.database, ONCOREG_SECRET_KEY=SECRET)
        oncoreg = str(Path(sys.executable).parent / "oncoreg")
        command = [oncoreg, "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env)
        url = f"http://127.0.0.1:{self.port}"
        _wait_for(url)
        return url

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # workers still busy with long requests
            self.process.kill()
            self.process.wait()


def _wait_for(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server at {url} did not answer in {seconds} s")


def warm_up(url: str, years: str) -> None:
    """Wait until every worker has the dashboard computed (each computes it as it starts):
    rounds of parallel requests on fresh connections, spread over the workers, until a
    whole round answers within a second."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    started = time.perf_counter()
    paths = (
        f"/dashboard?years={years}",
        f"/api/v1/stats/incidence?years={years}",
        f"/charts/top-sites.svg?years={years}",
    )
    headers = []
    for role in ("analyst", "registrar"):
        answer = httpx.post(
            f"{url}/api/v1/session", json={"username": f"bench-{role}", "password": PASSWORD}
        )
        headers.append({"Authorization": f"Bearer {answer.json()['token']}"})

    def ask(job) -> float:
        path, auth = job
        begun = time.perf_counter()
        httpx.get(f"{url}{path}", headers=auth, timeout=900).raise_for_status()
        return time.perf_counter() - begun

    jobs = [(p, h) for p in paths for h in headers] * 2 * (os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        while max(pool.map(ask, jobs)) > 1.0:
            pass
    print(f"warm-up (workers computing the dashboard): {time.perf_counter() - started:.1f} s")


def run_locust(url: str, work: Path, users: int, minutes: float, years: str, think: str) -> Path:
    print(f"locust: {users} clients for {minutes:g} min, think time {think} s")
    env = dict(
        os.environ,
        BENCH_THINK=think,
        BENCH_PASSWORD=PASSWORD,
        BENCH_NAMES=str(work / "names.txt"),
        BENCH_YEARS=years,
    )
    command = [
        sys.executable, "-m", "locust",
        "-f", str(HERE / "web_locustfile.py"),
        "--headless", "--host", url,
        "--users", str(users), "--spawn-rate", "10",
        "--run-time", f"{int(minutes * 60)}s",
        "--csv", str(work / "locust"), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, env=env, check=False)
    return work / "locust_stats.csv"


def report(stats: Path) -> None:
    with stats.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"\n{'endpoint':<34}{'requests':>10}{'failures':>10}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'req/s':>8}")  # fmt: skip
    for row in rows:
        print(
            f"{row['Name'][:33]:<34}{int(row['Request Count']):>10,}"
            f"{int(row['Failure Count']):>10,}{row['50%']:>9}{row['95%']:>9}{row['99%']:>9}"
            f"{float(row['Requests/s']):>8.1f}"
        )


if __name__ == "__main__":
    main()
