"""The trial registry: import (all or nothing), matching, eligible persons, enrolment and
accrual, and who may do what. Every test builds its own small registry on both backends.

``eligible_persons`` (bulk, one frame) is checked against ``evaluate`` applied one
person at a time on cases built here straight from the records, on a seeded synthetic
registry of 150 persons.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import FacilityLevel, FacilityType, Role, Sex, VitalStatus
from oncoreg.network import trials
from oncoreg.network.eligibility import (
    VERDICT_ORDER,
    Case,
    Verdict,
    evaluate,
    parse_eligibility,
    verdict,
)
from oncoreg.services.access import Principal
from oncoreg.store import (
    BoardCase,
    Facility,
    FollowUp,
    Person,
    Source,
    Store,
    TrialEnrolment,
    Tumour,
    TumourBoard,
    upgrade,
)

SECRET = "trials-secret-" + "t" * 40
TODAY = date(2026, 6, 15)
REGISTRAR = Principal("reg", Role.REGISTRAR)
ANALYST = Principal("ana", Role.ANALYST)
PARTNER = Principal("par", Role.PARTNER)
LUNG = """
[[trial]]
code = "T-LUNG"
title_vi = "Thử nghiệm ung thư phổi"
title_en = "Lung cancer trial"
phase = "2"
sponsor = "Bệnh viện K"
state = "open"
target_accrual = 10
opened_on = 2026-01-01
closes_on = 2027-12-31
sites = [{ facility = "VN-K", target = 6 }, { facility = "HN-UB", target = 4 }]

[trial.eligibility]
sites = ["C34"]
stage = ["III", "IV"]
age = { min = 18, max = 75 }
ecog_max = 1
"""


@pytest.fixture
def store(database_url):
    s = Store(database_url, SECRET)
    upgrade(s)
    with s.session() as session:
        for code in ("VN-K", "HN-UB", "VN-CR"):
            session.add(
                Facility(
                    code=code,
                    name_vi=code,
                    province_code="01",
                    level=FacilityLevel.CENTRAL,
                    type=FacilityType.HOSPITAL,
                )
            )
    yield s
    s.dispose()


def _facility_ids(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {c: i for c, i in session.execute(select(Facility.code, Facility.id))}


def _hospital(store: Store, code: str) -> Principal:
    return Principal(f"user-{code}", Role.HOSPITAL, facility_id=_facility_ids(store)[code])


def _person(store: Store, facility: str, **tumour) -> int:
    """A man born 1960, alive, with one tumour (C34.1 stage III unless given) reported by
    ``facility`` with chemotherapy given."""
    ids = _facility_ids(store)
    with store.session() as session:
        person = Person(sex=Sex.MALE, birth_date=date(1960, 1, 1), family_name="Trần")
        session.add(person)
        session.flush()
        values = {"topography": "C34.1", "morphology": "8140/3", "stage": "III"} | tumour
        t = Tumour(person_id=person.id, diagnosis_date=date(2026, 2, 1), **values)
        session.add(t)
        session.flush()
        session.add(
            Source(
                facility_id=ids[facility],
                report_id=f"R-{person.id}",
                tumour_id=t.id,
                chemotherapy="1",
                vital_status="1",
                last_contact_date=date(2026, 5, 1),
            )
        )
        return person.id


# ---------------------------------------------------------------- import


def test_import_reads_trials_and_a_second_import_changes_nothing(store):
    done = trials.import_trials(store, REGISTRAR, LUNG)
    assert (done.read, done.inserted, done.updated, done.unchanged) == (1, 1, 0, 0)
    again = trials.import_trials(store, REGISTRAR, LUNG)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    view = trials.view_trial(store, REGISTRAR, "T-LUNG")
    assert view.phase == "II" and view.state == "open" and view.target_accrual == 10
    assert [(s.facility, s.target, s.open) for s in view.sites] == [
        ("HN-UB", 4, True),
        ("VN-K", 6, True),
    ]
    assert view.eligibility["age"] == {"min": 18, "max": 75}
    assert view.criteria[0]["text"] == "Site (ICD-O-3 topography): C34"


def test_an_update_changes_fields_and_closes_sites_left_out(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    changed = LUNG.replace('target = 6 }, { facility = "HN-UB", target = 4 }', "target = 8 }")
    done = trials.import_trials(store, REGISTRAR, changed.replace("max = 75", "max = 80"))
    assert done.updated == 1
    view = trials.view_trial(store, REGISTRAR, "T-LUNG")
    assert [(s.facility, s.target, s.open) for s in view.sites] == [
        ("VN-K", 8, True),
        ("HN-UB", 4, False),
    ]
    assert view.eligibility["age"]["max"] == 80


def test_a_file_with_any_bad_trial_imports_nothing_and_lists_every_problem(store):
    bad = (
        LUNG
        + """
[[trial]]
code = "T-BAD"
state = "running"
opened_on = 2026-05-01
closes_on = 2026-01-01
sites = [{ facility = "XX-NONE" }]
[trial.eligibility]
age = { min = "x" }
sites = ["C99"]
"""
    )
    with pytest.raises(InputError) as caught:
        trials.import_trials(store, REGISTRAR, bad, name="t.toml")
    err = caught.value
    assert "1 of 2 trials have problems; nothing was imported" in err.message
    found = {(p.row, p.field) for p in err.problems}
    assert found == {
        (2, "title_vi"),
        (2, "state"),
        (2, "closes_on"),
        (2, "sites[0].facility"),
        (2, "eligibility.sites[0]"),
        (2, "eligibility.age.min"),
    }
    assert all(p.message.startswith("trial 2 (T-BAD): ") for p in err.problems)
    assert trials.list_trials(store, REGISTRAR) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml [", "not a TOML file"),
        ("[other]\nx = 1\n", "no [[trial]] tables"),
        (LUNG + LUNG, "code also used by trial 1"),
        (LUNG.replace('phase = "2"', 'phase = "V"'), "'V' is not a phase"),
        (LUNG.replace("target_accrual = 10", "target_accrual = -1"), "target_accrual"),
        (LUNG.replace("sponsor", "sponser"), "unknown field"),
    ],
)
def test_import_problems_are_named(store, text, message):
    with pytest.raises(InputError) as caught:
        trials.import_trials(store, REGISTRAR, text)
    assert message in str(caught.value) + " ".join(str(p) for p in caught.value.problems)


def test_only_network_managers_import_and_change_state_and_partners_read_nothing(store):
    with pytest.raises(Forbidden):
        trials.import_trials(store, _hospital(store, "VN-K"), LUNG)
    trials.import_trials(store, REGISTRAR, LUNG)
    with pytest.raises(Forbidden):
        trials.set_state(store, ANALYST, "T-LUNG", "closed")
    with pytest.raises(Forbidden):
        trials.list_trials(store, PARTNER)
    assert [t.code for t in trials.list_trials(store, ANALYST)] == ["T-LUNG"]


def test_state_changes_and_list_filters(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    assert trials.set_state(store, REGISTRAR, "T-LUNG", "Suspended").state == "suspended"
    assert trials.list_trials(store, REGISTRAR, state="open") == []
    assert [t.code for t in trials.list_trials(store, REGISTRAR, site="HN-UB")] == ["T-LUNG"]
    assert trials.list_trials(store, REGISTRAR, site="VN-CR") == []
    with pytest.raises(InputError):
        trials.set_state(store, REGISTRAR, "T-LUNG", "paused")
    with pytest.raises(NotFound):
        trials.set_state(store, REGISTRAR, "T-NONE", "open")


# ---------------------------------------------------------------- matching


def test_match_person_gives_each_open_trial_with_reasons_and_no_identifiers(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    fit = _person(store, "VN-K")
    found = trials.match_person(store, REGISTRAR, fit, TODAY)
    [match] = found["trials"]
    assert match["code"] == "T-LUNG" and match["verdict"] == Verdict.POSSIBLE
    assert match["unknown"] == ["ecog_max"] and match["failed"] == []
    assert {r["criterion"]: r["reason"] for r in match["results"]}["age"] == (
        "age 66 is within 18-75"
    )
    assert "Trần" not in repr(found) and "R-" not in repr(found)
    breast = _person(store, "VN-K", topography="C50.4", morphology="8500/3")
    [match] = trials.match_person(store, REGISTRAR, breast, TODAY)["trials"]
    assert match["verdict"] == Verdict.NOT_ELIGIBLE and match["failed"] == ["sites"]


def test_the_latest_ecog_of_the_boards_decides(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    person = _person(store, "VN-K")
    ids = _facility_ids(store)
    with store.session() as session:
        board = TumourBoard(code="B1", name="Lung board", host_facility_id=ids["VN-K"])
        session.add(board)
        session.flush()
        for days, ecog in ((10, 3), (2, 1)):
            session.add(
                BoardCase(
                    board_id=board.id,
                    person_id=person,
                    presenting_facility_id=ids["VN-K"],
                    question="trial?",
                    ecog=ecog,
                    submitted_by="reg",
                    submitted_at=datetime(2026, 6, 1, tzinfo=UTC) - timedelta(days),
                )
            )
    [match] = trials.match_person(store, REGISTRAR, person, TODAY)["trials"]
    assert match["verdict"] == Verdict.ELIGIBLE


def test_a_hospital_user_matches_only_its_own_persons(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    own, other = _person(store, "VN-K"), _person(store, "VN-CR")
    hospital = _hospital(store, "VN-K")
    assert trials.match_person(store, hospital, own, TODAY)["person_id"] == own
    with pytest.raises(NotFound):
        trials.match_person(store, hospital, other, TODAY)
    listed = trials.eligible_persons(store, hospital, "T-LUNG", TODAY)
    assert [p["person_id"] for p in listed["data"]] == [own]
    assert {
        p["person_id"] for p in trials.eligible_persons(store, ANALYST, "T-LUNG", TODAY)["data"]
    } == {
        own,
        other,
    }


def test_a_dead_person_is_never_listed(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    person = _person(store, "VN-K")
    with store.session() as session:
        session.add(
            FollowUp(
                person_id=person,
                contact_date=date(2026, 5, 20),
                vital_status=VitalStatus.DEAD,
                death_date=date(2026, 5, 20),
            )
        )
    assert trials.eligible_persons(store, REGISTRAR, "T-LUNG", TODAY)["count"] == 0
    [match] = trials.match_person(store, REGISTRAR, person, TODAY)["trials"]
    assert match["failed"] == ["alive"]


TRIALS = {
    "lung": {"sites": ["C34"], "stage": ["III", "IV"], "age": {"min": 18, "max": 75}},
    "breast": {
        "sites": ["C50"],
        "sex": "2",
        "morphology": ["8500/3", "8520-8523"],
        "prior_treatments": {"required": ["surgery"], "excluded": ["radiotherapy"]},
        "ecog_max": 1,
    },
    "recent": {
        "sites": ["C18-C20", "C34.0-C34.3"],
        "exclude_morphology": ["8041"],
        "months_since_diagnosis": {"min": 1, "max": 12},
    },
    "anyone": {},
}
SITES = ["C34.1", "C34.9", "C50.4", "C18.7", "C20.9", "C22.0", None]
MORPHS = ["8140/3", "8500/3", "8041/3", "8522/3", "8070/3", None]
STAGES = ["I", "IIA", "III", "IIIB", "IV", "NA", None]
FLAGS = ["1", "0", None]


def _synthetic(store: Store, seed: int = 7, persons: int = 150) -> None:
    """A seeded registry: persons with one or two tumours reported by one or two
    facilities, with treatments, deaths, follow-ups and board ECOGs drawn at random."""
    rng = random.Random(seed)
    ids = list(_facility_ids(store).values())
    with store.session() as session:
        board = TumourBoard(code="SYN", name="Board", host_facility_id=ids[0])
        session.add(board)
        session.flush()
        for n in range(persons):
            _synthetic_person(session, rng, ids, board.id, n)


def _synthetic_person(session, rng, ids, board_id: int, n: int) -> None:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 70))
    person = Person(
        sex=rng.choice([Sex.MALE, Sex.FEMALE, None]), birth_date=rng.choice([born, None])
    )
    session.add(person)
    session.flush()
    for k in range(rng.choice([1, 1, 2])):
        diagnosed = TODAY - timedelta(days=rng.randrange(0, 800))
        tumour = Tumour(
            person_id=person.id,
            topography=rng.choice(SITES),
            morphology=rng.choice(MORPHS),
            stage=rng.choice(STAGES),
            diagnosis_date=rng.choice([diagnosed, diagnosed, None]),
        )
        session.add(tumour)
        session.flush()
        for j in range(rng.choice([1, 2])):
            session.add(
                Source(
                    facility_id=rng.choice(ids),
                    report_id=f"S-{n}-{k}-{j}",
                    tumour_id=tumour.id,
                    surgery=rng.choice(FLAGS),
                    radiotherapy=rng.choice(FLAGS),
                    chemotherapy=rng.choice(FLAGS),
                    vital_status=rng.choice(["1", "1", "1", "2", None]),
                )
            )
    if rng.random() < 0.2:
        status = rng.choice([VitalStatus.ALIVE, VitalStatus.DEAD])
        session.add(FollowUp(person_id=person.id, contact_date=TODAY, vital_status=status))
    for m in range(rng.choice([0, 0, 1, 2])):
        session.add(
            BoardCase(
                board_id=board_id,
                person_id=person.id,
                presenting_facility_id=ids[0],
                question="q",
                ecog=rng.choice([0, 1, 2, 3]),
                submitted_by="reg",
                submitted_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=m),
            )
        )


def _one_at_a_time(store: Store, eligibility: dict) -> dict[int, tuple[str, int]]:
    """Each person's best (verdict, unknown count), from cases built record by record."""
    e = parse_eligibility(eligibility)
    out: dict[int, tuple[str, int]] = {}
    with store.session() as session:
        for person in session.scalars(select(Person)):
            tumours = list(session.scalars(select(Tumour).where(Tumour.person_id == person.id)))
            best = min((_judge(session, e, person, t) for t in tumours), key=_order)
            out[person.id] = best
    return out


def _judge(session, e, person: Person, tumour: Tumour) -> tuple[str, int]:
    sources = list(session.scalars(select(Source).where(Source.tumour_id == tumour.id)))
    everything = list(
        session.scalars(select(Source).join(Tumour).where(Tumour.person_id == person.id))
    )
    follow = [f.vital_status.value for f in person.follow_ups]
    dead = any(s.vital_status == "2" or s.death_date for s in everything) or "2" in follow
    alive = any(s.vital_status == "1" for s in everything) or "1" in follow
    ecog = session.scalar(
        select(BoardCase.ecog)
        .where(BoardCase.person_id == person.id, BoardCase.ecog.is_not(None))
        .order_by(BoardCase.submitted_at.desc(), BoardCase.id.desc())
    )
    case = Case(
        sex=person.sex.value if person.sex else None,
        birth_date=person.birth_date,
        topography=tumour.topography,
        morphology=tumour.morphology,
        stage=tumour.stage,
        diagnosis_date=tumour.diagnosis_date,
        treatments={
            t: _given([getattr(s, t) for s in sources])
            for t in ("surgery", "radiotherapy", "chemotherapy")
        },
        ecog=ecog,
        vital_status="2" if dead else ("1" if alive else None),
    )
    results = evaluate(e, case, TODAY)
    return verdict(results).value, sum(r.met is None for r in results)


def _given(values: list) -> bool | None:
    return True if "1" in values else (False if "0" in values else None)


def _order(item: tuple[str, int]) -> tuple[int, int]:
    return VERDICT_ORDER[Verdict(item[0])], item[1]


@pytest.mark.parametrize("name", sorted(TRIALS))
def test_eligible_persons_agrees_with_evaluate_one_person_at_a_time(store, name):
    _synthetic(store)
    text = LUNG.split("[trial.eligibility]")[0].replace("T-LUNG", "T-SYN")
    trials.import_trials(store, REGISTRAR, text)
    with store.session() as session:
        from oncoreg.store import Trial

        session.scalar(select(Trial).where(Trial.code == "T-SYN")).eligibility = TRIALS[name]
    expected = {
        pid: judged
        for pid, judged in _one_at_a_time(store, TRIALS[name]).items()
        if judged[0] != Verdict.NOT_ELIGIBLE
    }
    found = trials.eligible_persons(store, REGISTRAR, "T-SYN", TODAY, limit=1000)
    got = {p["person_id"]: (p["verdict"], len(p["unknown"])) for p in found["data"]}
    assert got == expected
    assert found["count"] == len(expected) and 0 < len(expected) < 150
    ranks = [_order((p["verdict"], len(p["unknown"]))) for p in found["data"]]
    assert ranks == sorted(ranks)
    only = trials.eligible_persons(store, REGISTRAR, "T-SYN", TODAY, include_possible=False)
    assert {p["person_id"] for p in only["data"]} == {
        pid for pid, (v, _) in expected.items() if v == Verdict.ELIGIBLE
    }
    page = trials.eligible_persons(store, REGISTRAR, "T-SYN", TODAY, limit=3, offset=2)
    assert page["data"] == found["data"][2:5]


# ---------------------------------------------------------------- enrolment and accrual


def test_enrol_and_accrual_by_site(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    a, b = _person(store, "VN-K"), _person(store, "HN-UB")
    trials.enrol(store, REGISTRAR, "T-LUNG", a, "VN-K", date(2026, 3, 1))
    trials.enrol(store, _hospital(store, "HN-UB"), "T-LUNG", b, "HN-UB")
    found = trials.accrual(store, ANALYST, "T-LUNG")
    assert found["enrolled"] == 2 and found["target_accrual"] == 10
    assert [(s["facility"], s["enrolled"], s["target"]) for s in found["sites"]] == [
        ("HN-UB", 1, 4),
        ("VN-K", 1, 6),
    ]
    listed = trials.eligible_persons(store, REGISTRAR, "T-LUNG", TODAY)
    assert all(p["enrolled"] for p in listed["data"])
    assert trials.match_person(store, REGISTRAR, a, TODAY)["trials"][0]["enrolled"] is True
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(TrialEnrolment)) == 2


def test_enrolment_rules(store):
    trials.import_trials(store, REGISTRAR, LUNG)
    a, other = _person(store, "VN-K"), _person(store, "VN-CR")
    hospital = _hospital(store, "VN-K")
    with pytest.raises(InputError, match="not an open site"):
        trials.enrol(store, REGISTRAR, "T-LUNG", a, "VN-CR")
    with pytest.raises(Forbidden, match="own facility"):
        trials.enrol(store, hospital, "T-LUNG", a, "HN-UB")
    with pytest.raises(NotFound):
        trials.enrol(store, hospital, "T-LUNG", other, "VN-K")
    with pytest.raises(Forbidden):
        trials.enrol(store, ANALYST, "T-LUNG", a, "VN-K")
    with pytest.raises(InputError, match="future"):
        trials.enrol(store, REGISTRAR, "T-LUNG", a, "VN-K", date.today() + timedelta(days=1))
    trials.enrol(store, hospital, "T-LUNG", a, "VN-K")
    with pytest.raises(InputError, match="already enrolled"):
        trials.enrol(store, REGISTRAR, "T-LUNG", a, "HN-UB")
    trials.set_state(store, REGISTRAR, "T-LUNG", "closed")
    with pytest.raises(InputError, match="not open"):
        trials.enrol(store, REGISTRAR, "T-LUNG", other, "VN-K")


def test_seed_demo_imports_the_demo_trials_once_and_enrols_matching_persons(store):
    for site in ("C34.1", "C11.9", "C22.0"):
        _person(store, "VN-K", topography=site, morphology="8140/3", stage="IV")
    first = trials.seed_demo(store, TODAY)
    assert first.startswith("6 trials, ")
    assert trials.seed_demo(store, TODAY) == "6 trials, 0 enrolments"
    listed = {t.code: t for t in trials.list_trials(store, REGISTRAR)}
    assert len(listed) == 6 and listed["HN-UB-2024-07"].enrolled >= 1
    assert all(not c.startswith("NCT") for c in listed)
