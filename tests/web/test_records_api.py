"""The registrar's API: search, timeline, per-role views, edits with checks, follow-up,
imports, review decisions, users and the audit trail, on the linked synthetic registry."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oncoreg.model import AuditAction
from oncoreg.services.access import SYSTEM
from oncoreg.store import AuditEvent, CheckFinding, Facility, Person, ReviewItem, Source, Tumour
from oncoreg.text import fold_vietnamese

IDENTIFYING_KEYS = {"name", "national_id", "insurance_number", "phone", "address"}


def _person_with_marks(store) -> tuple[int, str]:
    """A person whose family name carries diacritics, and that name."""
    with store.session() as session:
        for pid, family in session.execute(
            select(Person.id, Person.family_name).where(Person.family_name.is_not(None))
        ):
            if fold_vietnamese(family) != family.lower():
                return pid, family
    raise AssertionError("no family name with diacritics in the registry")


def _shared(store, hospital: str, column=Tumour.person_id) -> int:
    """A person (or, by ``Tumour.id``, a tumour) with reports from the hospital user's
    facility and from another one."""
    with store.session() as session:
        found = session.scalars(
            select(column)
            .join(Source, Source.tumour_id == Tumour.id)
            .join(Facility, Facility.id == Source.facility_id)
            .group_by(column)
            .having(func.sum(Facility.code == hospital) > 0)
            .having(func.sum(Facility.code != hospital) > 0)
        ).first()
    assert found is not None, "the test registry has no record reported by two facilities"
    return found


def test_names_are_found_with_or_without_diacritics(clients, web_registry):
    _, family = _person_with_marks(web_registry)
    client = clients["registrar"]
    marked = client.get("/api/v1/persons", params={"name": family, "limit": 200}).json()
    plain = client.get(
        "/api/v1/persons", params={"name": fold_vietnamese(family).upper(), "limit": 200}
    ).json()
    assert marked["count"] == plain["count"] > 0
    assert {p["id"] for p in marked["data"]} == {p["id"] for p in plain["data"]}
    assert all(fold_vietnamese(family) in fold_vietnamese(p["name"]) for p in plain["data"])


def test_a_national_id_finds_its_person_by_hash(clients, web_registry):
    with web_registry.session() as session:
        pid, nid = session.execute(
            select(Tumour.person_id, Source.national_id)
            .join(Source, Source.tumour_id == Tumour.id)
            .where(Source.national_id.is_not(None))
        ).first()
    found = clients["registrar"].get("/api/v1/persons", params={"national_id": nid}).json()
    assert pid in {p["id"] for p in found["data"]}


def test_a_hospital_user_sees_only_persons_and_identifiers_of_its_own_reports(
    clients, web_registry, hospital_code
):
    hospital = clients["hospital"]
    hits = hospital.get("/api/v1/persons", params={"name": "a", "limit": 200}).json()
    assert hits["count"] > 0
    assert all(hospital_code in p["facilities"] for p in hits["data"])
    assert all(set(p["facilities"]) == {hospital_code} for p in hits["data"])
    person = _shared(web_registry, hospital_code)
    timeline = hospital.get(f"/api/v1/persons/{person}").json()
    sources = [s for t in timeline["tumours"] for s in t["sources"]]
    assert sources and all(s["facility_code"] == hospital_code for s in sources)
    assert "national_id" not in timeline["person"] and "name" not in timeline["person"]
    full = clients["registrar"].get(f"/api/v1/persons/{person}").json()
    codes = {s["facility_code"] for t in full["tumours"] for s in t["sources"]}
    assert hospital_code in codes and len(codes) > 1


def test_an_analyst_sees_de_identified_records_and_cannot_search_by_name(clients):
    analyst = clients["analyst"]
    assert analyst.get("/api/v1/persons", params={"name": "nguyen"}).status_code == 403
    hits = analyst.get("/api/v1/persons", params={"birth_year": 1960}).json()["data"]
    assert hits and all(h["name"] is None and len(h["birth"] or "0000") == 4 for h in hits)
    timeline = analyst.get(f"/api/v1/persons/{hits[0]['id']}").json()
    assert not IDENTIFYING_KEYS & set(timeline["person"])
    for source in (s for t in timeline["tumours"] for s in t["sources"]):
        assert not IDENTIFYING_KEYS & set(source) and len(source["birth_date"] or "0000") == 4


def test_reads_of_identifying_data_are_audited_and_de_identified_reads_are_not(
    clients, web_registry
):
    hit = clients["analyst"].get("/api/v1/persons", params={"birth_year": 1970}).json()
    pid = hit["data"][0]["id"]

    def reads(actor):
        with web_registry.session() as session:
            return session.scalar(
                select(func.count()).where(
                    AuditEvent.action == AuditAction.READ,
                    AuditEvent.entity == "persons",
                    AuditEvent.entity_id == pid,
                    AuditEvent.actor == actor,
                )
            )

    before = reads("registrar-user"), reads("analyst-user")
    clients["registrar"].get(f"/api/v1/persons/{pid}")
    clients["analyst"].get(f"/api/v1/persons/{pid}")
    assert reads("registrar-user") == before[0] + 1
    assert reads("analyst-user") == before[1] == 0


def _free_source(store):
    """A report nobody else's test edits: the last of the registry, with its dates."""
    with store.session() as session:
        source = session.scalars(
            select(Source)
            .where(Source.diagnosis_date.is_not(None), Source.tumour_id.is_not(None))
            .where(Source.death_date.is_(None))
            .order_by(Source.id.desc())
        ).first()
        return source.id, source.diagnosis_date, source.tumour.person_id


def test_an_edit_is_checked_live_errors_block_and_warnings_need_a_reason(clients, web_registry):
    source_id, diagnosed, person_id = _free_source(web_registry)
    client = clients["registrar"]
    bad = client.post(f"/api/v1/sources/{source_id}/check", json={"changes": {"sex": "7"}})
    assert any(f["severity"] == "error" and "sex" in f["field"] for f in bad.json()["data"])
    refused = client.patch(f"/api/v1/sources/{source_id}", json={"changes": {"sex": "7"}})
    assert refused.status_code == 422
    death, contact = diagnosed + timedelta(days=120), diagnosed + timedelta(days=60)
    changes = {
        "vital_status": "2",
        "death_date": death.isoformat(),
        "last_contact_date": contact.isoformat(),
    }
    live = client.post(f"/api/v1/sources/{source_id}/check", json={"changes": changes}).json()
    rules = {f["rule_id"] for f in live["data"] if f["severity"] == "warning"}
    assert "DATE-DEATH-NOT-LAST-CONTACT" in rules
    unconfirmed = client.patch(f"/api/v1/sources/{source_id}", json={"changes": changes})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.json()["message"]
    saved = client.patch(
        f"/api/v1/sources/{source_id}",
        json={"changes": changes, "confirm": sorted(rules), "reason": "death certificate seen"},
    )
    assert saved.status_code == 200, saved.text
    with web_registry.session() as session:
        source = session.get(Source, source_id)
        assert source.death_date == death
        finding = session.scalar(
            select(CheckFinding).where(
                CheckFinding.source_id == source_id,
                CheckFinding.rule_id == "DATE-DEATH-NOT-LAST-CONTACT",
            )
        )
        assert finding.confirmed_by == "registrar-user"
        change = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.entity == "sources", AuditEvent.entity_id == source_id)
            .order_by(AuditEvent.id.desc())
        )
        assert change.action is AuditAction.UPDATE and "death_date" in change.changes
    events = client.get(f"/api/v1/persons/{person_id}").json()["events"]
    assert any("death_date" in e["fields"] for e in events)
    again = client.post(f"/api/v1/sources/{source_id}/check", json={"changes": {}}).json()
    assert "DATE-DEATH-NOT-LAST-CONTACT" not in {f["rule_id"] for f in again["data"]}


def test_unknown_fields_and_bad_dates_are_refused_by_name(clients, web_registry):
    source_id, _, _ = _free_source(web_registry)
    client = clients["registrar"]
    answer = client.post(f"/api/v1/sources/{source_id}/check", json={"changes": {"x": "1"}})
    assert answer.status_code == 422 and "'x'" in answer.json()["message"]
    answer = client.post(
        f"/api/v1/sources/{source_id}/check", json={"changes": {"death_date": "31/02/2024"}}
    )
    assert answer.status_code == 422 and "death_date" in answer.json()["message"]


def test_follow_up_is_recorded_and_a_death_needs_its_date(clients, web_registry):
    _, _, person_id = _free_source(web_registry)
    client = clients["registrar"]
    body = {"contact_date": "2025-06-01", "vital_status": "2"}
    assert client.post(f"/api/v1/persons/{person_id}/follow-ups", json=body).status_code == 422
    body["death_date"] = "2025-06-01"
    made = client.post(f"/api/v1/persons/{person_id}/follow-ups", json=body)
    assert made.status_code == 201 and made.json()["vital_status"] == "2"
    timeline = client.get(f"/api/v1/persons/{person_id}").json()
    assert any(f["death_date"] == "2025-06-01" for f in timeline["follow_ups"])


def _csv(facility: str, rows: list[tuple[str, str]]) -> bytes:
    header = "report_id,facility_code,family_name,given_name,sex,birth_date,topography,"
    header += "morphology,basis,diagnosis_date\n"
    lines = [
        f"{rid},{facility},Trần,Lan,{sex},1960-01-01,C50.9,8500/3,7,2024-03-01" for rid, sex in rows
    ]
    return (header + "\n".join(lines) + "\n").encode()


def test_an_upload_is_imported_with_a_summary_and_its_rejects(clients, web_app, hospital_code):
    client = clients["hospital"]
    tag = uuid.uuid4().hex[:6]
    content = _csv(hospital_code, [(f"UP-{tag}-1", "2"), (f"UP-{tag}-2", "7")])
    started = client.post("/api/v1/imports", files={"file": ("hospital.csv", content)})
    assert started.status_code == 202
    job_id = started.json()["id"]
    web_app.state.uploads.wait(SYSTEM, job_id)
    job = client.get(f"/api/v1/imports/{job_id}").json()
    assert job["state"] == "done", job
    summary = job["summary"]
    assert (summary["rows_read"], summary["imported"], summary["rejected"]) == (2, 1, 1)
    assert summary["adds_up"]
    rejects = client.get(f"/api/v1/imports/{job_id}/rejects")
    assert rejects.status_code == 200 and f"UP-{tag}-2" in rejects.text
    assert clients["registrar"].get(f"/api/v1/imports/{job_id}").status_code == 200


def test_a_hospital_user_cannot_import_another_facilitys_reports(
    clients, web_registry, hospital_code
):
    with web_registry.session() as session:
        other = session.scalar(select(Facility.code).where(Facility.code != hospital_code))
    content = _csv(other, [("OTHER-1", "2")])
    answer = clients["hospital"].post("/api/v1/imports", files={"file": ("x.csv", content)})
    assert answer.status_code == 422 and other in answer.json()["message"]


def test_an_upload_of_the_wrong_kind_is_refused_before_anything_is_stored(clients):
    answer = clients["registrar"].post(
        "/api/v1/imports", files={"file": ("notes.docx", b"PK\x03\x04")}
    )
    assert answer.status_code == 422 and "notes.docx" in answer.json()["message"]


def test_a_review_decision_is_recorded_with_who_and_an_audit_event(clients, web_registry):
    client = clients["registrar"]
    queue = client.get("/api/v1/review").json()
    assert queue["count"] >= 1
    item = queue["data"][-1]["id"]
    pair = client.get(f"/api/v1/review/{item}").json()
    assert {f["field"] for f in pair["fields"]} >= {"family_name", "birth_date", "topography"}
    answer = client.post(
        f"/api/v1/review/{item}/decision", json={"decision": "non_match", "note": "two people"}
    )
    assert answer.status_code == 204
    with web_registry.session() as session:
        decided = session.get(ReviewItem, item)
        assert (decided.decision, decided.decided_by) == ("non_match", "registrar-user")
    bad = client.post(f"/api/v1/review/{item}/decision", json={"decision": "maybe"})
    assert bad.status_code == 422


def test_admins_create_users_with_one_time_passwords_and_read_the_audit_trail(clients):
    admin = clients["admin"]
    name = f"new-{uuid.uuid4().hex[:6]}"
    made = admin.post("/api/v1/users", json={"username": name, "role": "analyst"})
    assert made.status_code == 201 and made.json()["one_time_password"]
    assert made.json()["user"]["must_change_password"] is True
    duplicate = admin.post("/api/v1/users", json={"username": name, "role": "analyst"})
    assert duplicate.status_code == 422
    bad_role = admin.post("/api/v1/users", json={"username": name + "x", "role": "boss"})
    assert bad_role.status_code == 422 and "analyst" in bad_role.json()["hint"]
    hospital = admin.post("/api/v1/users", json={"username": name + "h", "role": "hospital"})
    assert hospital.status_code == 422
    trail = admin.get("/api/v1/audit", params={"action": "read", "limit": 5}).json()
    assert trail["count"] > 0 and all(e["action"] == "read" for e in trail["data"])


@pytest.mark.parametrize(
    "path",
    ["/api/v1/persons/999999999", "/api/v1/review/999999999", "/api/v1/imports/nope"],
)
def test_missing_records_answer_404_in_the_one_error_shape(clients, path):
    answer = clients["admin"].get(path)
    assert answer.status_code == 404
    assert set(answer.json()) <= {"error", "message", "hint", "problems"}
    assert answer.json()["error"] == "not_found"


def test_invalid_parameters_answer_422_naming_the_field(clients):
    answer = clients["registrar"].get("/api/v1/persons", params={"birth_year": "old"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"
    assert any("birth_year" in p["field"] for p in answer.json()["problems"])


def test_every_api_operation_has_a_unique_id_and_a_documented_answer(web_app):
    schema = web_app.openapi()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert all(p.startswith("/api/v1/") for p in schema["paths"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = {k for k in operation["responses"] if k.startswith("2")}
            assert answers, f"{method} {path} documents no success answer"


def test_an_import_started_by_one_worker_is_answered_by_another(
    clients, web_app, web_registry, web_settings, hospital_code
):
    """Two server processes share the upload folder: the second reads the job's state."""
    from oncoreg.services.uploads import Uploads

    tag = uuid.uuid4().hex[:6]
    content = _csv(hospital_code, [(f"W-{tag}-1", "2")])
    started = clients["registrar"].post("/api/v1/imports", files={"file": ("w.csv", content)})
    job_id = started.json()["id"]
    web_app.state.uploads.wait(SYSTEM, job_id)
    other = Uploads(web_registry, web_app.state.uploads.folder)  # another process's view
    job = other.get(SYSTEM, job_id)
    assert job.state == "done" and job.summary["imported"] == 1
    assert job_id in {j.id for j in other.listing(SYSTEM)}


def _entry(facility: str, report_id: str, **extra) -> dict:
    fields = {
        "report_id": report_id,
        "facility_code": facility,
        "full_name": "Phạm Thị Thu",
        "sex": "2",
        "birth_date": "1971-04-02",
        "topography": "C509",
        "morphology": "8500",
        "behaviour": "3",
        "basis": "7",
        "diagnosis_date": "2024-05-06",
    }
    return {"fields": fields | extra}


def test_a_report_entered_on_the_web_is_imported_and_checked_like_a_file_row(
    clients, web_registry, hospital_code
):
    tag = uuid.uuid4().hex[:6]
    client = clients["hospital"]
    made = client.post("/api/v1/sources", json=_entry("", f"WEB-{tag}"))
    assert made.status_code == 201 and made.json()["imported"] == 1, made.text
    with web_registry.session() as session:
        source = session.scalar(select(Source).where(Source.report_id == f"WEB-{tag}"))
        assert source.topography == "C50.9" and source.morphology == "8500/3"
        assert source.facility.code == hospital_code and source.family_name == "Phạm"
    bad = client.post("/api/v1/sources", json=_entry("", f"WEB-{tag}-2", sex="7"))
    assert bad.status_code == 422 and any("VAL-SEX" in p["message"] for p in bad.json()["problems"])
    assert "Phạm" not in bad.text  # reasons name rules and fields, not the patient
    unknown = client.post("/api/v1/sources", json={"fields": {"colour": "red"}})
    assert unknown.status_code == 422 and "colour" in unknown.json()["message"]


def test_a_hospital_user_cannot_enter_another_facilitys_report(
    clients, web_registry, hospital_code
):
    with web_registry.session() as session:
        other = session.scalar(select(Facility.code).where(Facility.code != hospital_code))
    answer = clients["hospital"].post("/api/v1/sources", json=_entry(other, "X-1"))
    assert answer.status_code == 403


def test_a_report_is_retired_and_restored_with_its_reason_never_deleted(clients, web_registry):
    tag = uuid.uuid4().hex[:6]
    client = clients["registrar"]
    with web_registry.session() as session:
        facility = session.scalar(select(Facility.code))
    client.post("/api/v1/sources", json=_entry(facility, f"RET-{tag}"))
    with web_registry.session() as session:
        source_id = session.scalar(select(Source.id).where(Source.report_id == f"RET-{tag}"))
    assert (
        client.post(f"/api/v1/sources/{source_id}/obsolete", json={"reason": ""}).status_code == 422
    )
    retired = client.post(f"/api/v1/sources/{source_id}/obsolete", json={"reason": "duplicate"})
    assert retired.json() == {"id": source_id, "status": "obsolete"}
    shown = client.get(f"/api/v1/sources/{source_id}").json()["record"]
    assert shown["status"] == "obsolete" and shown["report_id"] == f"RET-{tag}"
    restored = client.post(f"/api/v1/sources/{source_id}/restore", json={"reason": "mistake"})
    assert restored.json()["status"] == "pending"
    trail = (
        clients["admin"]
        .get("/api/v1/audit", params={"entity": "sources", "entity_id": source_id})
        .json()["data"]
    )
    assert {"obsolete", "restore"} <= {e["action"] for e in trail}
    assert any("reason" in e["fields"] for e in trail)


def test_a_tumour_shows_only_the_reports_the_user_may_see(clients, web_registry, hospital_code):
    tumour_id = _shared(web_registry, hospital_code, Tumour.id)
    full = clients["registrar"].get(f"/api/v1/tumours/{tumour_id}").json()["record"]
    assert len({s["facility_code"] for s in full["sources"]}) >= 2
    mine = clients["hospital"].get(f"/api/v1/tumours/{tumour_id}")
    assert mine.status_code == 200
    codes = {s["facility_code"] for s in mine.json()["record"]["sources"]}
    assert codes == {hospital_code}


def test_the_entry_page_imports_a_report_or_shows_every_reason(clients, web_registry):
    client = clients["hospital"]
    tag = uuid.uuid4().hex[:6]
    form = client.get("/reports/new")
    assert form.status_code == 200 and 'name="facility_code"' not in form.text
    fields = _entry("", f"PAGE-{tag}")["fields"]
    done = client.post("/reports/new", data=fields)
    assert done.status_code == 201 and 'role="status"' in done.text
    refused = client.post("/reports/new", data=fields | {"report_id": f"PAGE-{tag}-2", "sex": "7"})
    assert refused.status_code == 422 and "VAL-SEX" in refused.text
