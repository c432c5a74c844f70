"""The research-extract workflow (oncoreg.network.extracts): agreement, request, approval,
release with k-anonymity, refusal, and who sees what."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import DatePrecision, Role, Sex
from oncoreg.network import extract_demo, extracts
from oncoreg.network.deidentify import quasi_identifiers
from oncoreg.services.access import Principal
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import link_registry
from oncoreg.services.registry import seed_provinces
from oncoreg.store import AuditEvent, Facility, Person, Source, Store, Tumour, upgrade
from oncoreg.synth import generate

SECRET = "extracts-test-secret-" + "x" * 32
TODAY = date(2025, 6, 1)
ADMIN = Principal(username="admin-lan", role=Role.ADMIN)
OXFORD = Principal(username="oxford-an", role=Role.PARTNER)
HERZEN = Principal(username="herzen-olga", role=Role.PARTNER)
ALLOWED = ["sex", "age_group", "region", "province", "diagnosis_year", "site_group", "stage"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A linked synthetic registry: 300 persons diagnosed 2019-2024, 4 facilities."""
    folder = tmp_path_factory.mktemp("extracts")
    out = folder / "synth"
    generate(persons=300, years="2019-2024", facilities=4, seed=5, out=out, formats=("csv",))
    store = Store(f"sqlite:///{folder / 'registry.db'}", SECRET)
    upgrade(store)
    seed_provinces(store)
    import_facilities(store, out / "facilities.csv")
    for path in sorted((out / "reports" / "csv").glob("*.csv")):
        import_file(store, path)
    link_registry(store, actor="test")
    yield store
    store.dispose()


def _agreement(store, code: str, members=("oxford-an",), **changes):
    values = {
        "code": code,
        "organisation": "Oxford University Clinical Research Unit",
        "title": "joint analysis",
        "signed_on": TODAY - timedelta(days=100),
        "expires_on": TODAY + timedelta(days=365),
        "variables": ALLOWED,
        "members": list(members),
    }
    return extracts.record_agreement(store, ADMIN, **(values | changes))


def _request(store, code: str, partner=OXFORD, **changes):
    values = {"variables": ["sex", "age_group", "region"], "years": "2019-2024", "purpose": "t"}
    values |= changes
    variables, years = values.pop("variables"), values.pop("years")
    return extracts.request_extract(store, partner, code, variables, years, today=TODAY, **values)


def test_a_release_writes_the_files_with_their_hashes(registry, tmp_path):
    _agreement(registry, "REL-1")
    asked = _request(registry, "REL-1", variables=["sex", "age_group", "region", "stage"])
    assert asked.state == "requested" and asked.requested_by == "oxford-an"
    view = extracts.approve(
        registry, ADMIN, asked.id, "ethics 2025/17", folder=tmp_path, today=TODAY
    )
    assert view.state == "released", view.decision_note
    release = view.release
    assert release["approved_by"] == "admin-lan" and view.decided_by == "admin-lan"
    names = {f["name"] for f in release["files"]}
    assert names == {
        f"extract-{view.id}.csv",
        f"extract-{view.id}.parquet",
        "data-dictionary.csv",
        "README.txt",
    }
    for entry in release["files"]:
        path = extracts.extract_file(registry, OXFORD, view.id, entry["name"], folder=tmp_path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    csv = pl.read_csv(tmp_path / str(view.id) / f"extract-{view.id}.csv", infer_schema=False)
    parquet = pl.read_parquet(tmp_path / str(view.id) / f"extract-{view.id}.parquet")
    assert csv.height == parquet.height == release["rows"]
    assert release["rows"] + release["suppressed"] == release["records_selected"]
    assert csv.columns == ["record_id", "sex", "age_group", "region", "stage"]
    qis = quasi_identifiers(csv.columns[1:])
    assert csv.group_by(qis).len()["len"].min() >= 5
    dictionary = pl.read_csv(tmp_path / str(view.id) / "data-dictionary.csv")
    assert dictionary.columns == ["variable", "description", "type", "generalisation", "values"]
    assert dictionary["variable"].to_list() == csv.columns
    readme = (tmp_path / str(view.id) / "README.txt").read_text()
    assert "admin-lan" in readme and "REL-1" in readme and "k=5" in readme
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


def test_approval_and_release_are_in_the_audit_trail(registry, tmp_path):
    _agreement(registry, "AUD-1")
    asked = _request(registry, "AUD-1", variables=["sex"])
    extracts.approve(registry, ADMIN, asked.id, folder=tmp_path, today=TODAY)
    with registry.session() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity == "extract_requests", AuditEvent.entity_id == asked.id
            )
        ).all()
    states = [e.changes.get("state", {}).get("new") for e in events if e.action == "update"]
    assert states == ["approved", "released"]
    assert {e.actor for e in events} == {"oxford-an", "admin-lan"}


def test_an_extract_that_cannot_be_k_anonymous_is_refused_and_leaves_no_files(registry, tmp_path):
    _agreement(registry, "TINY-1")
    asked = _request(
        registry, "TINY-1", variables=["sex", "site_group"], years="2024", sites="C50,C34", k=50
    )
    view = extracts.approve(registry, ADMIN, asked.id, folder=tmp_path, today=TODAY)
    assert view.state == "refused"
    assert view.decision_note.startswith("k=50 needs")
    assert "the limit is 5%" in view.decision_note
    assert view.release is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(NotFound):
        extracts.extract_file(registry, OXFORD, view.id, "README.txt", folder=tmp_path)


def test_a_partner_sees_only_their_own_extracts(registry, tmp_path):
    _agreement(registry, "ISO-1")
    asked = _request(registry, "ISO-1", variables=["sex"])
    extracts.approve(registry, ADMIN, asked.id, folder=tmp_path, today=TODAY)
    assert asked.id in [v.id for v in extracts.list_extracts(registry, OXFORD)]
    assert asked.id not in [v.id for v in extracts.list_extracts(registry, HERZEN)]
    assert "ISO-1" not in [a.code for a in extracts.list_agreements(registry, HERZEN)]
    with pytest.raises(NotFound):
        extracts.extract_view(registry, HERZEN, asked.id)
    with pytest.raises(NotFound):
        extracts.extract_file(registry, HERZEN, asked.id, "README.txt", folder=tmp_path)
    with pytest.raises(NotFound):  # an agreement that does not name them
        _request(registry, "ISO-1", partner=HERZEN)
    with pytest.raises(NotFound):  # a file name outside the release
        extracts.extract_file(registry, OXFORD, asked.id, "../registry.db", folder=tmp_path)


def test_other_roles_are_forbidden(registry):
    analyst = Principal(username="an", role=Role.ANALYST)
    with pytest.raises(Forbidden):
        extracts.list_extracts(registry, analyst)
    with pytest.raises(Forbidden):
        extracts.list_agreements(registry, analyst)
    with pytest.raises(Forbidden):
        extracts.approve(registry, OXFORD, 1)
    with pytest.raises(Forbidden):
        extracts.record_agreement(
            registry,
            OXFORD,
            code="X",
            organisation="o",
            title="t",
            signed_on=TODAY,
            variables=["sex"],
            members=[],
        )


def test_variables_outside_the_agreement_or_identifying_are_refused(registry):
    _agreement(registry, "VAR-1")
    with pytest.raises(InputError, match="'morphology' is not allowed by agreement VAR-1"):
        _request(registry, "VAR-1", variables=["sex", "morphology"])
    with pytest.raises(InputError, match="'national_id' identifies the person"):
        _request(registry, "VAR-1", variables=["sex", "national_id"])
    with pytest.raises(InputError, match="'address'"):
        _agreement(registry, "VAR-2", variables=["sex", "address"])


def test_an_expired_agreement_is_refused_at_request_and_at_approval(registry, tmp_path):
    _agreement(registry, "EXP-1", expires_on=TODAY - timedelta(days=1))
    with pytest.raises(InputError, match="expired"):
        _request(registry, "EXP-1")
    _agreement(registry, "EXP-2", expires_on=TODAY + timedelta(days=10))
    asked = _request(registry, "EXP-2")
    later = TODAY + timedelta(days=30)
    with pytest.raises(InputError, match="expired"):
        extracts.approve(registry, ADMIN, asked.id, folder=tmp_path, today=later)
    assert extracts.extract_view(registry, ADMIN, asked.id).state == "requested"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"k": 1}, "k must be 2"),
        ({"max_suppressed": 0.5}, "share of suppressed"),
        ({"years": "2022-2019"}, "not a range of past years"),
        ({"years": "last year"}, "not a year"),
        ({"sites": "lung"}, "not a topography"),
        ({"purpose": " "}, "purpose"),
    ],
)
def test_bad_requests_are_input_errors(registry, changes, message):
    if "PAR-1" not in [a.code for a in extracts.list_agreements(registry, ADMIN)]:
        _agreement(registry, "PAR-1")
    with pytest.raises(InputError, match=message):
        _request(registry, "PAR-1", **changes)


def test_a_decided_request_is_not_decided_again(registry, tmp_path):
    _agreement(registry, "DEC-1")
    asked = _request(registry, "DEC-1")
    with pytest.raises(InputError, match="say why"):
        extracts.refuse(registry, ADMIN, asked.id, " ")
    refused = extracts.refuse(registry, ADMIN, asked.id, "outside the purpose")
    assert (refused.state, refused.decision_note) == ("refused", "outside the purpose")
    with pytest.raises(InputError, match="is refused"):
        extracts.approve(registry, ADMIN, asked.id, folder=tmp_path, today=TODAY)


def test_two_extracts_of_the_same_records_cannot_be_joined(registry, tmp_path):
    _agreement(registry, "JOIN-1")
    ids = []
    for _ in range(2):
        asked = _request(registry, "JOIN-1", variables=["sex"])
        view = extracts.approve(registry, ADMIN, asked.id, folder=tmp_path, today=TODAY)
        frame = pl.read_csv(tmp_path / str(view.id) / f"extract-{view.id}.csv")
        ids.append(set(frame["record_id"]))
    assert len(ids[0]) == len(ids[1]) > 0
    assert ids[0].isdisjoint(ids[1])


def test_seed_demo_is_idempotent(registry):
    first = extract_demo.seed_demo(registry, TODAY)
    assert first == "2 data-sharing agreements, 2 extract requests"
    assert (
        extract_demo.seed_demo(registry, TODAY) == "0 data-sharing agreements, 0 extract requests"
    )
    demo = [v for v in extracts.list_extracts(registry, ADMIN) if v.requested_by == "demo-partner"]
    assert sorted(v.state for v in demo) in (["released", "requested"], ["refused", "requested"])


def _small_registry(store: Store, persons: int = 24) -> None:
    """Persons with one tumour and one report each, written directly (no import)."""
    with store.session(actor="test") as session:
        facility = Facility(
            code="F1", name_vi="BV", province_code="01", level="central", type="hospital"
        )
        session.add(facility)
        session.flush()
        for i in range(persons):
            person = Person(
                sex=Sex.FEMALE if i % 2 else Sex.MALE,
                birth_date=date(1950 + i % 3, 1, 1),
                birth_date_precision=DatePrecision.DAY,
                province_code="01",
            )
            session.add(person)
            session.flush()
            tumour = Tumour(
                person_id=person.id,
                topography="C34.1",
                morphology="8140/3",
                icd10="C34.1",
                diagnosis_date=date(2021, 1 + i % 12, 5),
                diagnosis_date_precision=DatePrecision.DAY,
            )
            session.add(tumour)
            session.flush()
            session.add(
                Source(
                    facility_id=facility.id,
                    report_id=f"R{i}",
                    tumour_id=tumour.id,
                    surgery="1",
                    vital_status="2" if i % 4 == 0 else "1",
                    last_contact_date=date(2023, 1, 1),
                    death_date=date(2022, 6, 1) if i % 4 == 0 else None,
                )
            )


def test_the_workflow_on_both_backends(database_url, tmp_path):
    store = Store(database_url, SECRET)
    try:
        upgrade(store)
        _small_registry(store)
        _agreement(
            store,
            "BOTH-1",
            variables=[
                "sex",
                "age_group",
                "diagnosis_year",
                "surgery",
                "vital_status",
                "survival_days",
            ],
        )
        asked = _request(
            store,
            "BOTH-1",
            variables=["sex", "age_group", "surgery", "vital_status", "survival_days"],
            years="2021",
            sites=["C34"],
        )
        view = extracts.approve(store, ADMIN, asked.id, folder=tmp_path, today=TODAY)
        assert view.state == "released", view.decision_note
        assert view.release["records_selected"] == 24
        frame = pl.read_parquet(tmp_path / str(view.id) / f"extract-{view.id}.parquet")
        assert set(frame["surgery"]) == {"yes"}
        assert sorted(set(frame["vital_status"])) == ["1", "2"]
        assert frame.filter(pl.col("vital_status") == "2")["survival_days"].min() > 0
        assert frame.group_by("sex", "age_group").len()["len"].min() >= 5
    finally:
        store.dispose()
