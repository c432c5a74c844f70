"""Referrals between facilities: each workflow, the capacity warning, every refused step,
what a hospital user sees, and waiting times worked by hand.

Each test builds its own small registry: three hospitals (A refers, B receives and has
radiotherapy, C is a third party) and persons reported by A or by C.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import FacilityLevel, FacilityType, ReferralState, Role, Sex
from oncoreg.network import referral_demo
from oncoreg.network import referral_waits as waits
from oncoreg.network import referrals as ref
from oncoreg.network.summary import case_summary
from oncoreg.services.access import Principal
from oncoreg.store import Facility, Person, Referral, Source, Store, Tumour, upgrade

SECRET = "referral-secret-" + "r" * 40
NAME = ("Phạm", "Văn", "Toàn")
CCCD = "001080099887"
REGISTRAR = Principal(username="reg", role=Role.REGISTRAR)


@dataclass
class World:
    store: Store
    a: Principal  # hospital user of A (sender)
    b: Principal  # hospital user of B (receiver)
    c: Principal  # hospital user of C (third party)
    person: int  # reported by A
    tumour: int
    other_person: int  # reported by C only
    other_tumour: int


@pytest.fixture
def world(database_url) -> World:
    store = Store(database_url, SECRET)
    upgrade(store)
    with store.session() as s:
        a = _facility(s, "PV-A", FacilityLevel.PROVINCIAL, None, None)
        b = _facility(s, "VN-B", FacilityLevel.CENTRAL, ["radiation-oncology"], {"linac": 2})
        c = _facility(s, "VN-C", FacilityLevel.CENTRAL, None, None)
        person, tumour = _case(s, a, "A-1", "C34.1")
        other, other_tumour = _case(s, c, "C-1", "C18.7")
        ids = (a.id, b.id, c.id)
    yield World(
        store,
        *(
            Principal(username=f"{n}-user", role=Role.HOSPITAL, facility_id=i)
            for n, i in zip("abc", ids, strict=True)
        ),
        person,
        tumour,
        other,
        other_tumour,
    )
    store.dispose()


def _facility(session, code, level, specialties, equipment) -> Facility:
    f = Facility(
        code=code,
        name_vi=f"Bệnh viện {code}",
        province_code="01",
        level=level,
        type=FacilityType.HOSPITAL,
        specialties=specialties,
        equipment=equipment,
    )
    session.add(f)
    session.flush()
    return f


def _case(session, facility: Facility, report: str, site: str) -> tuple[int, int]:
    person = Person(
        family_name=NAME[0],
        middle_name=NAME[1],
        given_name=NAME[2],
        sex=Sex.MALE,
        birth_date=date(1958, 2, 3),
        national_id=CCCD,
        province_code="01",
    )
    session.add(person)
    session.flush()
    tumour = Tumour(
        person_id=person.id,
        topography=site,
        morphology="8140/3",
        basis="7",
        stage="IIIA",
        diagnosis_date=date(2024, 6, 1),
    )
    session.add(tumour)
    session.flush()
    session.add(
        Source(
            facility_id=facility.id,
            report_id=report,
            tumour_id=tumour.id,
            family_name=NAME[0],
            given_name=NAME[2],
            national_id=CCCD,
            topography=site,
            morphology="8140/3",
            diagnosis_date=date(2024, 6, 1),
            surgery="1",
            chemotherapy="0",
        )
    )
    return person.id, tumour.id


def _refer(w: World, by: Principal | None = None, **values) -> ref.ReferralView:
    args = {
        "person_id": w.person,
        "to_facility": "VN-B",
        "service": "radiotherapy",
        "reason": "radiotherapy after surgery",
        "urgency": "urgent",
    }
    if by is None or not by.facility_bound:
        args["from_facility"] = "PV-A"
    return ref.refer(w.store, by or w.a, **(args | values))


def _backdate(w: World, referral_id: int, day: date) -> None:
    with w.store.session() as s:
        s.get(Referral, referral_id).referred_at = datetime(
            day.year, day.month, day.day, 9, tzinfo=UTC
        )


# --- sending ---------------------------------------------------------------------------


def test_a_referral_carries_the_summary_as_it_stood_and_no_identifier(world):
    w = world
    sent = _refer(w)
    assert (sent.state, sent.from_facility, sent.to_facility) == ("sent", "PV-A", "VN-B")
    assert sent.tumour_id == w.tumour  # the most recent tumour, named
    assert sent.capacity_warning is None  # B has radiation oncology and a linac
    assert [e.state for e in sent.history] == ["sent"] and sent.history[0].actor == "a-user"
    with w.store.session() as s:
        assert sent.summary == json.loads(json.dumps(case_summary(s, w.person, w.tumour)))
        s.get(Tumour, w.tumour).stage = "IV"  # the registry learns more later
    text = json.dumps(ref.referral_view(w.store, w.b, sent.id).summary, ensure_ascii=False)
    assert '"IIIA"' in text and '"IV"' not in text  # frozen at the time of referral
    assert all(v not in text for v in (*NAME, CCCD, "1958-02-03"))
    assert sent.actions == ["cancel"]  # the sender may only cancel


def test_a_facility_without_the_capacity_gets_the_referral_with_a_warning(world):
    w = world
    sent = _refer(w, service="surgery")
    assert sent.state == "sent"
    assert sent.capacity_warning == "Cancer surgery needs: Surgical oncology"
    assert ref.referral_view(w.store, w.b, sent.id).capacity_warning == sent.capacity_warning
    unrecorded = _refer(w, to_facility="VN-C", service="surgery")
    assert unrecorded.capacity_warning is None  # C's capacity was never recorded
    assert _refer(w, service=None).capacity_warning is None


@pytest.mark.parametrize(
    ("values", "error", "words"),
    [
        ({"reason": "  "}, InputError, "reason is required"),
        ({"reason": "x" * 2001}, InputError, "longer than 2000"),
        ({"urgency": "soon"}, InputError, "unknown urgency"),
        ({"to_facility": "PV-A"}, InputError, "cannot refer to itself"),
        ({"to_facility": "NOWHERE"}, InputError, "no facility has code"),
        ({"service": "teleportation"}, InputError, "unknown service"),
        ({"tumour_id": "other"}, InputError, "is not a tumour of person"),
        ({"from_facility": "VN-C"}, Forbidden, "own facility"),
        ({"person_id": "other"}, NotFound, "no person"),
    ],
)
def test_a_hospital_user_is_refused_bad_referrals(world, values, error, words):
    w = world
    values = {
        k: {"other": w.other_tumour if k == "tumour_id" else w.other_person}.get(v, v)
        for k, v in values.items()
    }
    with pytest.raises(error, match=words):
        _refer(w, **values)
    with w.store.session() as s:
        assert s.query(Referral).count() == 0


def test_registrars_name_the_sender_and_analysts_may_not_refer(world):
    w = world
    with pytest.raises(InputError, match="sending facility is required"):
        ref.refer(
            w.store,
            REGISTRAR,
            person_id=w.person,
            to_facility="VN-B",
            reason="x",
            urgency="routine",
        )
    sent = _refer(w, by=REGISTRAR, person_id=w.other_person)  # registrars see every person
    assert sent.from_facility == "PV-A" and sent.history[0].actor == "reg"
    analyst = Principal(username="an", role=Role.ANALYST)
    with pytest.raises(Forbidden):
        _refer(w, by=analyst)
    with pytest.raises(Forbidden):
        ref.list_referrals(w.store, analyst)


# --- the workflow ----------------------------------------------------------------------


def test_accept_first_visit_and_complete_by_the_receiving_hospital(world):
    w = world
    sent = _refer(w)
    today = date.today()
    accepted = ref.accept(w.store, w.b, sent.id, note="booked")
    assert accepted.state == "accepted" and accepted.actions == ["first-visit", "complete"]
    seen = ref.record_first_visit(w.store, w.b, sent.id, today, note="seen in clinic")
    assert seen.first_visit_date == today and seen.state == "accepted"
    done = ref.complete(w.store, w.b, sent.id, note="treated")
    assert done.state == "completed" and done.actions == []
    history = [(e.state, e.actor, e.note) for e in done.history]
    assert history == [
        ("sent", "a-user", None),
        ("accepted", "b-user", "booked"),
        ("accepted", "b-user", f"first visit {today.isoformat()}: seen in clinic"),
        ("completed", "b-user", "treated"),
    ]
    assert ref.referral_view(w.store, w.a, sent.id).state == "completed"  # the sender sees it


def test_complete_with_the_visit_date_at_once(world):
    w = world
    sent = _refer(w)
    ref.accept(w.store, REGISTRAR, sent.id)
    with pytest.raises(InputError, match="first visit date is required"):
        ref.complete(w.store, w.b, sent.id)
    done = ref.complete(w.store, w.b, sent.id, visit_date=date.today())
    assert done.state == "completed" and done.first_visit_date == date.today()


def test_decline_needs_a_reason(world):
    w = world
    sent = _refer(w)
    with pytest.raises(InputError, match="reason is required"):
        ref.decline(w.store, w.b, sent.id, reason=" ")
    declined = ref.decline(w.store, w.b, sent.id, reason="no bed before June")
    assert declined.state == "declined" and declined.history[-1].note == "no bed before June"


@pytest.mark.parametrize("accept_first", [False, True])
def test_the_sender_cancels_while_sent_or_accepted(world, accept_first):
    w = world
    sent = _refer(w)
    if accept_first:
        ref.accept(w.store, w.b, sent.id)
    with pytest.raises(Forbidden, match="only the sending facility"):
        ref.cancel(w.store, w.b, sent.id)
    cancelled = ref.cancel(w.store, w.a, sent.id, note="patient moved")
    assert cancelled.state == "cancelled" and cancelled.history[-1].actor == "a-user"


def test_the_sender_may_not_act_for_the_receiver(world):
    w = world
    sent = _refer(w)
    for step in ("accept", "decline", "first-visit", "complete"):
        with pytest.raises(Forbidden, match="only the receiving facility"):
            ref.act(w.store, w.a, sent.id, step, note="x", visit_date=date.today())


def _in_state(w: World, state: ReferralState) -> int:
    rid = _refer(w).id
    steps = {
        ReferralState.SENT: [],
        ReferralState.ACCEPTED: ["accept"],
        ReferralState.DECLINED: ["decline"],
        ReferralState.COMPLETED: ["accept", "complete"],
        ReferralState.CANCELLED: ["cancel"],
    }[state]
    for step in steps:
        ref.act(w.store, REGISTRAR, rid, step, note="x", visit_date=date.today())
    return rid


ALLOWED = {
    ReferralState.SENT: {"accept", "decline", "cancel"},
    ReferralState.ACCEPTED: {"first-visit", "complete", "cancel"},
    ReferralState.DECLINED: set(),
    ReferralState.COMPLETED: set(),
    ReferralState.CANCELLED: set(),
}


@pytest.mark.parametrize("state", list(ReferralState))
def test_every_step_not_allowed_from_a_state_is_refused_naming_the_state(world, state):
    w = world
    rid = _in_state(w, state)
    assert ref.referral_view(w.store, REGISTRAR, rid).state == state.value
    assert set(ref.allowed_actions(state)) == ALLOWED[state]
    for step in sorted(set(ref.ACTIONS) - ALLOWED[state]):
        with pytest.raises(InputError) as refused:
            ref.act(w.store, REGISTRAR, rid, step, note="x", visit_date=date.today())
        assert f"is {state.value}: {step} is not allowed" in refused.value.message
        expected = ", ".join(a for a in ref.ACTIONS if a in ALLOWED[state]) or "closed"
        assert expected in refused.value.hint
    assert ref.referral_view(w.store, REGISTRAR, rid).state == state.value  # unchanged


def test_unknown_step_and_bad_visit_dates_are_refused(world):
    w = world
    sent = _refer(w)
    with pytest.raises(InputError, match="unknown action"):
        ref.act(w.store, w.b, sent.id, "archive")
    ref.accept(w.store, w.b, sent.id)
    _backdate(w, sent.id, date(2025, 3, 10))
    with pytest.raises(InputError, match="before the referral"):
        ref.record_first_visit(w.store, w.b, sent.id, date(2025, 3, 9))
    with pytest.raises(InputError, match="in the future"):
        ref.record_first_visit(w.store, w.b, sent.id, date(2025, 3, 20), today=date(2025, 3, 19))
    with pytest.raises(InputError, match="first visit date is required"):
        ref.act(w.store, w.b, sent.id, "first-visit")
    seen = ref.record_first_visit(w.store, w.b, sent.id, date(2025, 3, 10), today=date(2025, 3, 19))
    assert seen.first_visit_date == date(2025, 3, 10)  # the day of the referral is fine


# --- who sees what ---------------------------------------------------------------------


def test_a_hospital_sees_only_referrals_it_sent_or_received(world):
    w = world
    sent = _refer(w)
    mine = _refer(
        w, by=REGISTRAR, person_id=w.other_person, from_facility="VN-C", to_facility="VN-B"
    )
    assert [r.id for r in ref.list_referrals(w.store, w.a).rows] == [sent.id]
    assert {r.id for r in ref.list_referrals(w.store, w.b).rows} == {sent.id, mine.id}
    assert [r.id for r in ref.list_referrals(w.store, w.c).rows] == [mine.id]
    assert [r.id for r in ref.list_referrals(w.store, w.a, "sent").rows] == [sent.id]
    assert ref.list_referrals(w.store, w.a, "received").rows == []
    assert ref.list_referrals(w.store, w.b, "received").count == 2
    assert [r.id for r in ref.list_referrals(w.store, w.b, facility="PV-A").rows] == [sent.id]
    with pytest.raises(NotFound):
        ref.referral_view(w.store, w.c, sent.id)
    for step in ref.ACTIONS:
        with pytest.raises(NotFound):
            ref.act(w.store, w.c, sent.id, step, note="x")
    with pytest.raises(NotFound):
        ref.referral_view(w.store, w.a, 10**6)


def test_registrars_see_all_and_filter_by_facility_direction_and_state(world):
    w = world
    first = _refer(w)
    second = _refer(w, by=REGISTRAR, person_id=w.other_person, from_facility="VN-C")
    ref.accept(w.store, REGISTRAR, second.id)
    page = ref.list_referrals(w.store, REGISTRAR)
    assert page.count == 2 and [r.id for r in page.rows] == [second.id, first.id]
    sent_by_c = ref.list_referrals(w.store, REGISTRAR, "sent", facility="VN-C")
    assert [r.id for r in sent_by_c.rows] == [second.id]
    assert ref.list_referrals(w.store, REGISTRAR, "received", facility="VN-C").count == 0
    assert [r.id for r in ref.list_referrals(w.store, REGISTRAR, state="sent").rows] == [first.id]
    assert ref.list_referrals(w.store, REGISTRAR, limit=1, offset=1).rows[0].id == first.id
    with pytest.raises(InputError, match="needs a facility"):
        ref.list_referrals(w.store, REGISTRAR, "sent")
    with pytest.raises(InputError, match="unknown state"):
        ref.list_referrals(w.store, REGISTRAR, state="lost")


# --- waiting times ---------------------------------------------------------------------


def test_waiting_times_worked_by_hand(world):
    """Four urgent referrals to B on 1 March 2025: seen after 3, 10 and 20 days (one
    completed), one declined; one routine referral seen after 30 days.

    Urgent: median of (3, 10, 20) = 10; 90th percentile (type 7): h = 2 x 0.9 = 1.8,
    10 + 0.8 x (20 - 10) = 18 (R 4.3: quantile(c(3, 10, 20), 0.9) -> 18); seen within 14
    days: 2 of 3. Routine: 30 and 30, no 14-day share. Exact: rtol 0.
    """
    w = world
    day, today = date(2025, 3, 1), date(2025, 6, 1)
    ids = [_refer(w).id for _ in range(4)] + [_refer(w, urgency="routine").id]
    for rid in ids:
        _backdate(w, rid, day)
    for rid, wait in zip(ids[:3] + ids[4:], (3, 10, 20, 30), strict=True):
        ref.accept(w.store, w.b, rid)
        ref.record_first_visit(w.store, w.b, rid, day + timedelta(days=wait), today=today)
    ref.complete(w.store, w.b, ids[0])
    ref.decline(w.store, w.b, ids[3], reason="no bed")
    rows = {r.urgency: r for r in waits.waiting_times(w.store, w.c)}  # any hospital sees them
    assert set(rows) == {"urgent", "routine"}
    urgent, routine = rows["urgent"], rows["routine"]
    assert (urgent.facility, urgent.referrals, urgent.accepted) == ("VN-B", 4, 3)
    assert (urgent.declined, urgent.completed, urgent.seen) == (1, 1, 3)
    assert (urgent.median_days, urgent.p90_days) == (10.0, 18.0)
    assert urgent.seen_within_14_days == pytest.approx(2 / 3, rel=0)
    assert (routine.referrals, routine.seen, routine.median_days, routine.p90_days) == (
        1,
        1,
        30.0,
        30.0,
    )
    assert routine.seen_within_14_days is None
    assert waits.waiting_times(w.store, REGISTRAR, since=day + timedelta(days=1)) == []
    assert len(waits.waiting_times(w.store, REGISTRAR, since=day, until=day)) == 2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=40), st.sampled_from([0.5, 0.9, 0.25]))
def test_quantile_is_numpys_linear_quantile(values, p):
    values = sorted(values)
    assert waits.quantile(values, p) == pytest.approx(float(np.quantile(values, p)), rel=1e-12)


def test_quantile_of_nothing_is_none():
    assert waits.quantile([], 0.5) is None


# --- demo ------------------------------------------------------------------------------


def test_seed_demo_adds_referrals_in_each_state_once(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'demo.db'}", SECRET)
    upgrade(store)
    with store.session() as s:
        facilities = {
            code: _facility(s, code, FacilityLevel.CENTRAL, None, None)
            for code in ("HN-UB", "VN-BM", "VN-K")
        }
        for i, code in enumerate(("HN-UB", "VN-BM", "VN-K") * 3):
            _case(s, facilities[code], f"R-{i}", "C50.9")
    today = date(2026, 3, 1)
    assert referral_demo.seed_demo(store, today) == "6 referrals"
    assert referral_demo.seed_demo(store, today).startswith("0 referrals")
    page = ref.list_referrals(store, REGISTRAR)
    assert page.count == 6
    assert {r.state for r in page.rows} == {s.value for s in ReferralState} - {"cancelled"}
    assert len({r.person_id for r in page.rows}) == 6
    routes = {(r.from_facility, r.to_facility) for r in page.rows}
    assert ("HN-UB", "VN-K") in routes and ("VN-K", "VN-BM") in routes
    with store.session() as s:
        for r in page.rows:  # each person was reported by the sending facility
            reporters = {
                src.facility.code for t in s.get(Person, r.person_id).tumours for src in t.sources
            }
            assert r.from_facility in reporters
    for r in page.rows:
        if r.first_visit_date:
            assert r.referred_on <= r.first_visit_date <= today
    store.dispose()


# --- the JSON API ----------------------------------------------------------------------


def test_the_api_refers_steps_lists_and_shows_waiting_times(tmp_path):
    from fastapi.testclient import TestClient

    from oncoreg.api import create_app
    from oncoreg.services.access import SYSTEM
    from oncoreg.services.users import create_user
    from oncoreg.settings import Settings

    store = Store(f"sqlite:///{tmp_path / 'api.db'}", SECRET)
    upgrade(store)
    with store.session() as s:
        a = _facility(s, "PV-A", FacilityLevel.PROVINCIAL, None, None)
        _facility(s, "VN-B", FacilityLevel.CENTRAL, ["medical-oncology"], {})
        person, _ = _case(s, a, "A-1", "C34.1")
    password = "api test password 1"
    for name, code in (("a-user", "PV-A"), ("b-user", "VN-B")):
        create_user(
            store, SYSTEM, username=name, role="hospital", facility_code=code, password=password
        )
    app = create_app(store, Settings(database_url=store.url, secret_key=SECRET))

    def client(name: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        token = c.post("/api/v1/session", json={"username": name, "password": password})
        c.headers["Authorization"] = f"Bearer {token.json()['token']}"
        return c

    sender, receiver = client("a-user"), client("b-user")
    body = {"person_id": person, "to_facility": "VN-B", "service": "radiotherapy"}
    body |= {"urgency": "urgent", "reason": "radiotherapy after surgery"}
    made = sender.post("/api/v1/referrals", json=body)
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert made.json()["capacity_warning"].startswith("External beam radiotherapy needs:")
    assert receiver.post(f"/api/v1/referrals/{rid}/complete").status_code == 422
    assert receiver.post(f"/api/v1/referrals/{rid}/accept").json()["state"] == "accepted"
    visit = {"date": date.today().isoformat(), "note": "seen"}
    done = receiver.post(f"/api/v1/referrals/{rid}/complete", json=visit)
    assert done.status_code == 200 and done.json()["state"] == "completed"
    assert [e["state"] for e in done.json()["history"]] == ["sent", "accepted", "completed"]
    listed = sender.get("/api/v1/referrals", params={"direction": "sent"}).json()
    assert listed["count"] == 1 and listed["data"][0]["state"] == "completed"
    waits = receiver.get("/api/v1/referrals/waiting-times").json()
    assert waits["count"] == 1 and waits["data"][0]["median_days"] == 0.0
    assert sender.post(f"/api/v1/referrals/{rid}/cancel").status_code == 422
    store.dispose()
