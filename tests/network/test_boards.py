"""Tumour boards: each workflow of the service, who sees which case (the presenting
hospital, the host hospital, a third hospital), refused state changes, the agenda and
minutes documents, and the demo seed. Records are built here on both backends."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import DatePrecision, FacilityLevel, FacilityType, Role, Sex
from oncoreg.network import board_demo, board_documents, boards
from oncoreg.services.access import SYSTEM, Principal
from oncoreg.store import (
    AuditEvent,
    BoardCase,
    BoardMeeting,
    Facility,
    Person,
    Source,
    Store,
    Trial,
    Tumour,
    TumourBoard,
    upgrade,
)

SECRET = "boards-secret-" + "b" * 40
FAMILY, GIVEN = "Phạm", "Thị Quỳnh"
QUESTION = "Surgery first, or neoadjuvant chemotherapy?"
ADVICE = "Neoadjuvant chemotherapy, four cycles, then surgery."
REGISTRAR = Principal("reg", Role.REGISTRAR)
ANALYST = Principal("ana", Role.ANALYST)
AT = datetime(2030, 3, 5, 14, 0)


@pytest.fixture
def net(database_url):
    """Host (central), presenting and third hospitals; a person reported by the presenting
    hospital and one reported by the third only; a trial; a board hosted by the host."""
    store = Store(database_url, SECRET)
    upgrade(store)
    with store.session() as s:
        ids = {code: _facility(s, code, level) for code, level in FACILITIES}
        ids["person"], ids["tumour"] = _person(s, ids["PROV"], "P-1")
        ids["other_person"], _ = _person(s, ids["THIRD"], "T-1")
        s.add(Trial(code="NCT-B1", title_vi="Thử nghiệm B1"))
    board = boards.create_board(store, REGISTRAR, code="K-MDT", name="Hội chẩn K", host="HOST")
    ids["board"] = board["id"]
    who = {
        code.lower(): Principal(code.lower(), Role.HOSPITAL, facility_id=ids[code])
        for code in ("HOST", "PROV", "THIRD")
    }
    yield store, ids, who
    store.dispose()


FACILITIES = (
    ("HOST", FacilityLevel.CENTRAL),
    ("PROV", FacilityLevel.PROVINCIAL),
    ("THIRD", FacilityLevel.PROVINCIAL),
)


def _facility(session, code: str, level) -> int:
    f = Facility(
        code=code, name_vi=f"Bệnh viện {code}", province_code="01", level=level,
        type=FacilityType.HOSPITAL,
    )  # fmt: skip
    session.add(f)
    session.flush()
    return f.id


def _person(session, facility_id: int, report_id: str) -> tuple[int, int]:
    person = Person(
        family_name=FAMILY, given_name=GIVEN, sex=Sex.FEMALE, birth_date=date(1970, 2, 3),
        birth_date_precision=DatePrecision.DAY, national_id="001170099999", province_code="01",
    )  # fmt: skip
    session.add(person)
    session.flush()
    tumour = Tumour(
        person_id=person.id, topography="C50.9", morphology="8500/3", basis="7",
        stage="IIIA", diagnosis_date=date(2029, 11, 2),
    )  # fmt: skip
    session.add(tumour)
    session.flush()
    session.add(
        Source(
            facility_id=facility_id, report_id=report_id, tumour_id=tumour.id, surgery="0",
            chemotherapy="1", family_name=FAMILY, given_name=GIVEN, topography="C50.9",
            morphology="8500/3", diagnosis_date=date(2029, 11, 2), tnm_t="T3", tnm_n="N1",
        )
    )  # fmt: skip
    return person.id, tumour.id


def _submit(store, ids, principal, **extra) -> dict:
    values = {"board": "K-MDT", "person_id": ids["person"], "question": QUESTION} | extra
    return boards.submit_case(store, principal, **values)


def _meeting(store, ids, principal, at: datetime = AT) -> dict:
    return boards.schedule_meeting(store, principal, ids["board"], starts_at=at, location="P3")


# ------------------------------------------------------------------ boards, members


def test_registrars_run_boards_and_the_network_reads_them(net):
    store, ids, who = net
    member = boards.add_member(
        store, REGISTRAR, "K-MDT", name="TS. A", specialty="pathology", role="chair"
    )
    boards.add_member(store, REGISTRAR, ids["board"], name="TS. B", specialty="radiology")
    changed = boards.update_board(store, REGISTRAR, "K-MDT", schedule="weekly, Tuesday 14:00")
    assert changed["schedule"] == "weekly, Tuesday 14:00" and changed["host_code"] == "HOST"
    boards.retire_member(store, REGISTRAR, "K-MDT", member["id"])
    _meeting(store, ids, who["host"])
    listed = boards.list_boards(store, who["third"])
    assert [b["code"] for b in listed] == ["K-MDT"]
    assert [m["name"] for m in listed[0]["members"]] == ["TS. B"]
    assert listed[0]["upcoming"][0]["starts_at"].strftime("%Y-%m-%d %H:%M") == "2030-03-05 14:00"
    with pytest.raises(Forbidden):
        boards.create_board(store, who["host"], code="X", name="X", host="HOST")
    with pytest.raises(Forbidden):
        boards.add_member(store, who["host"], "K-MDT", name="X", specialty="x")
    with pytest.raises(Forbidden):
        boards.list_boards(store, ANALYST)
    with pytest.raises(InputError, match="exists already"):
        boards.create_board(store, REGISTRAR, code="K-MDT", name="again", host="HOST")
    with pytest.raises(InputError, match="no facility"):
        boards.create_board(store, REGISTRAR, code="Z", name="Z", host="NOWHERE")
    with pytest.raises(InputError, match="member role"):
        boards.add_member(store, REGISTRAR, "K-MDT", name="X", specialty="x", role="boss")


def test_only_the_host_side_plans_cancels_and_holds_meetings(net):
    store, ids, who = net
    with pytest.raises(Forbidden):
        _meeting(store, ids, who["prov"])
    meeting = _meeting(store, ids, who["host"])
    member = boards.add_member(store, REGISTRAR, "K-MDT", name="TS. A", specialty="surgery")
    with pytest.raises(Forbidden):
        boards.record_held(store, who["third"], meeting["id"], attendees=[member["id"]])
    with pytest.raises(InputError, match="not current members"):
        boards.record_held(store, who["host"], meeting["id"], attendees=[member["id"] + 99])
    held = boards.record_held(
        store, who["host"], meeting["id"], attendees=[member["id"]], minutes="All present."
    )
    assert held["state"] == "held" and held["attendees"] == [member["id"]]
    with pytest.raises(InputError, match="cannot cancel a meeting that is held"):
        boards.cancel_meeting(store, who["host"], meeting["id"])
    detail = boards.meeting_detail(store, who["third"], meeting["id"])
    assert detail["attendee_names"] == ["TS. A"] and detail["minutes"] == "All present."


def test_cancelling_a_meeting_sends_its_cases_back_to_submitted(net):
    store, ids, who = net
    case = _submit(store, ids, who["prov"])
    meeting = _meeting(store, ids, who["host"])
    assert boards.schedule_case(store, who["host"], case["id"], meeting["id"])["state"] == (
        "scheduled"
    )
    assert boards.cancel_meeting(store, REGISTRAR, meeting["id"])["state"] == "cancelled"
    back = boards.get_case(store, who["prov"], case["id"])
    assert back["state"] == "submitted" and back["meeting_id"] is None
    with pytest.raises(InputError, match="cancelled"):
        boards.schedule_case(store, who["host"], case["id"], meeting["id"])


# ------------------------------------------------------------------------ cases


def test_a_hospital_submits_for_its_own_facility_and_visible_persons_only(net):
    store, ids, who = net
    case = _submit(store, ids, who["prov"], ecog=1)
    assert case["state"] == "submitted" and case["presenting_facility"] == "PROV"
    assert case["tumour_id"] == ids["tumour"] and case["submitted_by"] == "prov"
    summary = json.dumps(case["summary"], ensure_ascii=False)
    assert case["summary"]["tumour"]["stage"] == "IIIA"
    assert FAMILY not in summary and GIVEN not in summary and "001170099999" not in summary
    with pytest.raises(Forbidden):
        _submit(store, ids, who["prov"], presenting_facility="THIRD")
    with pytest.raises(NotFound):
        _submit(store, ids, who["prov"], person_id=ids["other_person"])
    with pytest.raises(InputError, match="ECOG"):
        _submit(store, ids, who["prov"], ecog=7)
    with pytest.raises(InputError, match="question"):
        _submit(store, ids, who["prov"], question="  ")
    with pytest.raises(InputError, match="presents"):
        _submit(store, ids, REGISTRAR)
    with pytest.raises(NotFound):
        _submit(store, ids, who["prov"], board="NO-SUCH")
    with pytest.raises(Forbidden):
        _submit(store, ids, ANALYST)
    by_registrar = _submit(store, ids, REGISTRAR, person_id=ids["other_person"],
                           presenting_facility="THIRD")  # fmt: skip
    assert by_registrar["presenting_facility"] == "THIRD"


def test_the_summary_is_frozen_at_submission(net):
    store, ids, who = net
    case = _submit(store, ids, who["prov"])
    with store.session() as s:
        s.get(Tumour, ids["tumour"]).stage = "IV"
    assert boards.get_case(store, who["prov"], case["id"])["summary"]["tumour"]["stage"] == "IIIA"


def test_a_hospital_sees_the_cases_it_presented_or_hosts_and_nothing_else(net):
    store, ids, who = net
    case = _submit(store, ids, who["prov"])
    assert [c["id"] for c in boards.list_cases(store, who["prov"])] == [case["id"]]
    assert [c["id"] for c in boards.list_cases(store, who["host"])] == [case["id"]]
    assert boards.list_cases(store, who["third"]) == []
    assert len(boards.list_cases(store, REGISTRAR, board="K-MDT", state="submitted")) == 1
    assert boards.list_cases(store, REGISTRAR, state="discussed") == []
    with pytest.raises(InputError, match="unknown case state"):
        boards.list_cases(store, REGISTRAR, state="lost")
    for action in (
        lambda p: boards.get_case(store, p, case["id"]),
        lambda p: boards.withdraw_case(store, p, case["id"]),
        lambda p: boards.record_recommendation(store, p, case["id"], recommendation="x"),
    ):
        with pytest.raises(NotFound):
            action(who["third"])
    meeting = _meeting(store, ids, who["host"])
    assert boards.meeting_detail(store, who["third"], meeting["id"])["cases"] == []
    board = boards.board_detail(store, who["third"], "K-MDT")
    assert board["cases"] == [] and not board["host_side"]
    assert boards.board_detail(store, who["host"], "K-MDT")["host_side"]


def test_the_board_recommends_and_the_presenting_hospital_sees_it(net):
    store, ids, who = net
    case = _submit(store, ids, who["prov"])
    meeting = _meeting(store, ids, who["host"])
    with pytest.raises(Forbidden):
        boards.schedule_case(store, who["prov"], case["id"], meeting["id"])
    boards.schedule_case(store, who["host"], case["id"], meeting["id"])
    with pytest.raises(Forbidden):
        boards.record_recommendation(store, who["prov"], case["id"], recommendation=ADVICE)
    with pytest.raises(InputError, match="no clinical trial"):
        boards.record_recommendation(
            store, who["host"], case["id"], recommendation=ADVICE, suggested_trial="NCT-NONE"
        )
    done = boards.record_recommendation(
        store, who["host"], case["id"], recommendation=ADVICE, treatment_plan="AC x4",
        suggested_trial="NCT-B1", refer_to="HOST",
    )  # fmt: skip
    assert done["state"] == "discussed" and done["recommended_by"] == "host"
    seen = boards.get_case(store, who["prov"], case["id"])
    assert (seen["recommendation"], seen["suggested_trial"], seen["refer_to"]) == (
        ADVICE, "NCT-B1", "HOST",
    )  # fmt: skip
    with pytest.raises(InputError, match="discussed") as refused:
        boards.withdraw_case(store, who["prov"], case["id"])
    assert "submitted or scheduled" in str(refused.value)
    with pytest.raises(InputError, match="discussed"):
        boards.record_recommendation(store, who["host"], case["id"], recommendation="again")
    with store.session() as s:
        audited = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "board_cases")
        )
    assert audited >= 3  # submitted, scheduled, recommended


def test_only_the_presenting_side_withdraws_a_case_before_discussion(net):
    store, ids, who = net
    case = _submit(store, ids, who["prov"])
    with pytest.raises(Forbidden):
        boards.withdraw_case(store, who["host"], case["id"])
    assert boards.withdraw_case(store, who["prov"], case["id"])["state"] == "withdrawn"
    with pytest.raises(InputError, match="withdrawn"):
        boards.withdraw_case(store, who["prov"], case["id"])
    meeting = _meeting(store, ids, who["host"])
    with pytest.raises(InputError, match="cannot schedule a case that is withdrawn"):
        boards.schedule_case(store, who["host"], case["id"], meeting["id"])


def test_a_case_goes_only_onto_a_meeting_of_its_own_board(net):
    store, ids, who = net
    boards.create_board(store, REGISTRAR, code="OTHER", name="Other", host="HOST")
    other = boards.schedule_meeting(store, REGISTRAR, "OTHER", starts_at=AT)
    case = _submit(store, ids, who["prov"])
    with pytest.raises(InputError, match="not a meeting of board K-MDT"):
        boards.schedule_case(store, who["host"], case["id"], other["id"])


def test_a_naive_meeting_time_is_vietnam_time():
    stored = boards.as_utc(datetime(2030, 1, 1, 14, 0))
    assert stored.hour == 7 and boards.local_time(stored.replace(tzinfo=None)).hour == 14


# ---------------------------------------------------------------------- documents


def _discussed_meeting(store, ids, who) -> int:
    case = _submit(store, ids, who["prov"])
    meeting = _meeting(store, ids, who["host"])
    boards.schedule_case(store, who["host"], case["id"], meeting["id"])
    boards.record_recommendation(store, who["host"], case["id"], recommendation=ADVICE)
    member = boards.add_member(store, REGISTRAR, "K-MDT", name="TS. Chủ Tọa", specialty="surgery")
    boards.record_held(store, who["host"], meeting["id"], attendees=[member["id"]], minutes="OK")
    return meeting["id"]


def test_agenda_and_minutes_show_the_case_and_no_name(net):
    store, ids, who = net
    meeting_id = _discussed_meeting(store, ids, who)
    agenda = board_documents.agenda_html(store, who["prov"], meeting_id, lang="en")
    assert QUESTION in agenda and "C50.9" in agenda and "IIIA" in agenda
    assert "Chemotherapy (PROV)" in agenda and "TS. Chủ Tọa" in agenda
    minutes = board_documents.minutes_html(store, who["host"], meeting_id, lang="vi")
    assert ADVICE in minutes and "Biên bản" in minutes and "TS. Chủ Tọa" in minutes
    for text in (agenda, minutes):
        assert FAMILY not in text and GIVEN not in text
    third = board_documents.agenda_html(store, who["third"], meeting_id, lang="en")
    assert QUESTION not in third
    with pytest.raises(InputError, match="language"):
        board_documents.agenda_html(store, who["prov"], meeting_id, lang="fr")


def test_the_documents_print_to_pdf(net, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("rendering does not depend on the backend")
    store, ids, who = net
    meeting_id = _discussed_meeting(store, ids, who)
    for make in (board_documents.agenda_pdf, board_documents.minutes_pdf):
        data = make(store, who["host"], meeting_id, "vi")
        assert data.startswith(b"%PDF") and len(data) > 1000
    text = PdfReader(io.BytesIO(board_documents.agenda_pdf(store, REGISTRAR, meeting_id, "en")))
    printed = "".join(p.extract_text() for p in text.pages)
    assert QUESTION[:20] in printed and FAMILY not in printed


# --------------------------------------------------------------------------- demo


def test_seed_demo_is_idempotent(net):
    store, ids, who = net
    with store.session() as s:
        s.get(Facility, ids["HOST"]).code = "VN-K"
    first = board_demo.seed_demo(store, date(2030, 3, 1))
    assert first.startswith("tumour boards:")

    def counts():
        with store.session() as s:
            return [
                s.scalar(select(func.count()).select_from(t))
                for t in (TumourBoard, BoardMeeting, BoardCase)
            ]

    before = counts()
    assert board_demo.seed_demo(store, date(2030, 3, 1)).endswith("already seeded")
    assert counts() == before
    k = boards.board_detail(store, SYSTEM, "VTOP-K")
    assert len(k["members"]) == 6 and len({m["specialty"] for m in k["members"]}) == 6
    assert {m["state"] for m in k["meetings"]} == {"held", "planned"}
    cases = boards.list_cases(store, replace(SYSTEM, username="demo"), board="VTOP-K")
    assert cases and all(c["presenting_facility"] != "VN-K" for c in cases)
