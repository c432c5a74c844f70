"""A small linked synthetic registry served by the web application, and signed-in
clients of every role.

The registry (400 persons, CSV reports of 6 facilities, linked, with population and life
table) is built once per test session; tests that change records change their own
report or person and never rely on another test's changes.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from oncoreg.api import create_app
from oncoreg.services.access import SYSTEM
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import link_registry
from oncoreg.services.population import import_life_table, import_population
from oncoreg.services.registry import seed_provinces
from oncoreg.services.users import create_user
from oncoreg.settings import Settings
from oncoreg.store import Facility, LinkRun, ReviewItem, Source, Store, Tumour, upgrade
from oncoreg.synth import generate
from tests.web.roles import ROLES

SECRET = "web-test-secret-" + "w" * 32
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def web_synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("web") / "synth"
    generate(persons=400, years="2019-2024", facilities=6, seed=5, out=out, formats=("csv",))
    return out


@pytest.fixture(scope="session")
def web_registry(web_synth, tmp_path_factory):
    folder = tmp_path_factory.mktemp("webreg")
    url = f"sqlite:///{folder / 'registry.db'}"
    store = Store(url, SECRET)
    upgrade(store)
    seed_provinces(store)
    import_facilities(store, web_synth / "facilities.csv")
    for path in sorted((web_synth / "reports" / "csv").glob("*.csv")):
        import_file(store, path)
    link_registry(store, actor="test")
    import_population(store, web_synth / "population.csv")
    import_life_table(store, web_synth / "lifetable.csv")
    hospital = busiest_facility(store)
    ensure_review_pairs(store)
    for role in ROLES:
        create_user(
            store,
            SYSTEM,
            username=f"{role}-user",
            role=role,
            facility_code=hospital if role == "hospital" else None,
            password=PASSWORD,
        )
    yield store
    store.dispose()


def ensure_review_pairs(store: Store, wanted: int = 3) -> None:
    """Review items as linkage leaves them: pairs of reports of two persons that share a
    family name and birth year (a small registry may leave none of its own)."""
    with store.session(actor="test") as session:
        if session.scalar(select(func.count()).select_from(ReviewItem)) >= wanted:
            return
        run = session.scalar(select(LinkRun.id).order_by(LinkRun.id.desc()))
        rows = session.execute(
            select(Source.id, Source.family_name, Tumour.person_id)
            .join(Tumour, Tumour.id == Source.tumour_id)
            .where(Source.family_name.is_not(None))
            .order_by(Source.family_name, Source.id)
        ).all()
        pairs, seen = [], {}
        for source_id, family, person_id in rows:
            other = seen.get(family)
            if other and other[1] != person_id and len(pairs) < wanted:
                pairs.append((other[0], source_id))
            seen[family] = (source_id, person_id)
        for left, right in pairs:
            session.add(
                ReviewItem(
                    run_id=run,
                    kind="pair",
                    source_id=left,
                    other_source_id=right,
                    match_probability=0.55,
                    match_weight=0.3,
                    reason="same family name (test pair)",
                )
            )


@pytest.fixture(scope="session")
def hospital_code(web_registry) -> str:
    """The hospital user's facility: the one with the most reports."""
    return busiest_facility(web_registry)


def busiest_facility(store: Store) -> str:
    with store.session() as session:
        return session.execute(
            select(Facility.code)
            .join(Source, Source.facility_id == Facility.id)
            .group_by(Facility.code)
            .order_by(func.count().desc(), Facility.code)
        ).first()[0]


@pytest.fixture(scope="session")
def web_settings(web_registry):
    return Settings(database_url=web_registry.url, secret_key=SECRET)


@pytest.fixture(scope="session")
def web_app(web_registry, web_settings):
    return create_app(web_registry, web_settings)


def copy_registry(store: Store, folder) -> Store:
    """An independent copy of the SQLite registry, for tests whose calls change records."""
    import shutil

    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(store.url.removeprefix("sqlite:///"), folder / "registry.db")
    return Store(f"sqlite:///{folder / 'registry.db'}", SECRET)


def sign_in(app, username: str, password: str = PASSWORD) -> TestClient:
    """A client signed in by cookie, sending the CSRF header on changing requests."""
    client = TestClient(app, raise_server_exceptions=False)
    answer = client.post("/api/v1/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


@pytest.fixture(scope="session")
def clients(web_app):
    """A signed-in client per role, by role name."""
    return {role: sign_in(web_app, f"{role}-user") for role in ROLES}
