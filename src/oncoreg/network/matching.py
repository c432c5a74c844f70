"""Patient–trial matching over the registry, read in bulk (a few queries into a Polars
frame, never a query per person): each tumour of a person is a
:class:`~oncoreg.network.eligibility.Case`, and a person's verdict for a trial is that of
their best tumour. Results carry person ids, never names or other identifiers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import polars as pl
from sqlalchemy import select

from oncoreg.errors import NotFound
from oncoreg.model import RecordStatus, TrialState
from oncoreg.network.eligibility import (
    TREATMENTS,
    VERDICT_ORDER,
    Case,
    CriterionResult,
    Eligibility,
    Verdict,
    evaluate,
    parse_eligibility,
    verdict,
    whole_years,
)
from oncoreg.services.access import (
    Permission,
    Principal,
    require,
    require_visible_person,
    visible_persons,
)
from oncoreg.store import (
    BoardCase,
    FollowUp,
    Person,
    Source,
    Store,
    Trial,
    TrialEnrolment,
    Tumour,
)
from oncoreg.store.bulk import as_dates, read_frame

OBSOLETE = RecordStatus.OBSOLETE


def find_trial(session, code: str) -> Trial:
    trial = session.scalar(select(Trial).where(Trial.code == code, Trial.status != OBSOLETE))
    if trial is None:
        raise NotFound(f"no trial {code}", hint="see `oncoreg trials list`")
    return trial


def visible_case_frame(session, principal: Principal, person_id: int) -> pl.DataFrame:
    """:func:`case_frame` of a person the principal may see (else NotFound)."""
    require_visible_person(session, principal, person_id)
    return case_frame(session, principal, person_id)


def case_frame(session, principal: Principal, person_id: int | None = None) -> pl.DataFrame:
    """One row per tumour of the persons visible to ``principal`` (or of one person):
    tumour and person fields, treatments per tumour, the person's vital status and
    latest ECOG. Four queries, whatever the number of persons."""
    base = select(Person.id.label("person_id")).where(
        Person.status != OBSOLETE, visible_persons(principal, Person.id)
    )
    if person_id is not None:
        base = base.where(Person.id == person_id)
    persons = base.subquery()
    tumours = select(
        Tumour.id.label("tumour_id"),
        Tumour.person_id,
        Tumour.topography,
        Tumour.morphology,
        Tumour.stage,
        Tumour.diagnosis_date,
        Person.sex,
        Person.birth_date,
    ).join(Person, Person.id == Tumour.person_id)
    tumours = tumours.where(Tumour.status != OBSOLETE, Tumour.person_id.in_(select(persons)))
    connection = session.connection()
    frame = as_dates(read_frame(connection, tumours), "diagnosis_date", "birth_date")
    frame = frame.with_columns(pl.col("tumour_id", "person_id").cast(pl.Int64))
    owned = select(Tumour.id).where(Tumour.person_id.in_(select(persons)))
    frame = frame.join(_treatments(connection, owned), on="tumour_id", how="left")
    vital = _vital(connection, frame, owned, persons)
    frame = frame.join(vital, on="person_id", how="left")
    return frame.join(_ecog(connection, persons), on="person_id", how="left")


def _treatments(connection, owned) -> pl.DataFrame:
    query = select(
        Source.tumour_id,
        *(getattr(Source, t) for t in TREATMENTS),
        Source.vital_status.label("source_vital"),
        Source.death_date.is_not(None).label("source_death"),
    ).where(Source.status != OBSOLETE, Source.tumour_id.in_(owned))
    frame = read_frame(connection, query).with_columns(pl.col("tumour_id").cast(pl.Int64))

    def given(name: str) -> pl.Expr:
        column = pl.col(name)
        return (
            pl.when((column == "1").any())
            .then(True)
            .when((column == "0").any())
            .then(False)
            .otherwise(None)
            .alias(name)
        )

    return frame.group_by("tumour_id").agg(
        *(given(t) for t in TREATMENTS),
        (pl.col("source_vital") == "2").any().alias("dead_source"),
        (pl.col("source_death").cast(pl.Int64) == 1).any().alias("death_source"),
        (pl.col("source_vital") == "1").any().alias("alive_source"),
    )


def _vital(connection, frame: pl.DataFrame, owned, persons) -> pl.DataFrame:
    """Each person's vital status: "2" on any report of death, "1" if any report or
    follow-up says alive, else null."""
    follow = read_frame(
        connection,
        select(FollowUp.person_id, FollowUp.vital_status).where(
            FollowUp.status != OBSOLETE, FollowUp.person_id.in_(select(persons))
        ),
    ).with_columns(pl.col("person_id").cast(pl.Int64))
    by_source = frame.group_by("person_id").agg(
        (pl.col("dead_source").fill_null(False) | pl.col("death_source").fill_null(False))
        .any()
        .alias("dead"),
        pl.col("alive_source").fill_null(False).any().alias("alive"),
    )
    by_follow = follow.group_by("person_id").agg(
        (pl.col("vital_status") == "2").any().alias("dead_f"),
        (pl.col("vital_status") == "1").any().alias("alive_f"),
    )
    both = by_source.join(by_follow, on="person_id", how="full", coalesce=True)
    dead = pl.col("dead").fill_null(False) | pl.col("dead_f").fill_null(False)
    alive = pl.col("alive").fill_null(False) | pl.col("alive_f").fill_null(False)
    return both.select(
        "person_id",
        pl.when(dead).then(pl.lit("2")).when(alive).then(pl.lit("1")).alias("vital_status"),
    )


def _ecog(connection, persons) -> pl.DataFrame:
    """Each person's latest recorded ECOG (from the tumour boards)."""
    query = (
        select(BoardCase.person_id, BoardCase.ecog)
        .where(
            BoardCase.status != OBSOLETE,
            BoardCase.ecog.is_not(None),
            BoardCase.person_id.in_(select(persons)),
        )
        .order_by(BoardCase.person_id, BoardCase.submitted_at, BoardCase.id)
    )
    frame = read_frame(connection, query).with_columns(pl.col("person_id", "ecog").cast(pl.Int64))
    return frame.group_by("person_id", maintain_order=True).last()


def _case(row: dict) -> Case:
    return Case(
        sex=row["sex"],
        birth_date=row["birth_date"],
        topography=row["topography"],
        morphology=row["morphology"],
        stage=row["stage"],
        diagnosis_date=row["diagnosis_date"],
        treatments={t: row[t] for t in TREATMENTS},
        ecog=row["ecog"],
        vital_status=row["vital_status"],
    )


def _prefilter(frame: pl.DataFrame, e: Eligibility, today: date) -> pl.DataFrame:
    """Drop the tumours some criterion fails for certain, judging each distinct value with
    the same functions as :func:`evaluate` (so that the two always agree)."""
    from oncoreg.network import eligibility as el

    checks = [("vital_status", lambda v: el.alive(Case(vital_status=v)))]
    if e.sites:
        checks.append(("topography", lambda v: el.site(e.sites, v)))
    if e.morphology:
        checks.append(("morphology", lambda v: el.histology(e.morphology, v)))
    if e.exclude_morphology:
        checks.append(("morphology", lambda v: el.excluded_histology(e.exclude_morphology, v)))
    if e.stage:
        checks.append(("stage", lambda v: el.stage(e.stage, v)))
    if e.age_min is not None or e.age_max is not None:
        checks.append(("birth_date", lambda v: el.age(e.age_min, e.age_max, v, today)))
    if e.sex != "any":
        checks.append(("sex", lambda v: el.sex(e.sex, v)))
    if e.months_min is not None or e.months_max is not None:
        low, high = e.months_min, e.months_max
        checks.append(("diagnosis_date", lambda v: el.months(low, high, v, today)))
    for column, check in checks:
        failing = [v for v in frame[column].unique().to_list() if check(v).met is False]
        if failing:
            frame = frame.filter(~pl.col(column).is_in(failing).fill_null(False))
    return frame


@dataclass(frozen=True)
class Evaluated:
    """One person against one trial, judged on their best tumour."""

    person_id: int
    tumour_id: int | None
    sex: str | None
    age: int | None
    topography: str | None
    morphology: str | None
    stage: str | None
    verdict: str
    results: list[CriterionResult]

    @property
    def failed(self) -> list[str]:
        return [r.criterion for r in self.results if r.met is False]

    @property
    def unknown(self) -> list[str]:
        return [r.criterion for r in self.results if r.met is None]

    def public(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k != "results"}
        out["failed"], out["unknown"] = self.failed, self.unknown
        out["results"] = [asdict(r) for r in self.results]
        return out


def _rank(item: Evaluated) -> tuple:
    return (VERDICT_ORDER[Verdict(item.verdict)], len(item.unknown), item.person_id)


def _best_per_person(frame: pl.DataFrame, e: Eligibility, today: date) -> list[Evaluated]:
    best: dict[int, Evaluated] = {}
    for row in frame.iter_rows(named=True):
        results = evaluate(e, _case(row), today)
        born = row["birth_date"]
        item = Evaluated(
            person_id=row["person_id"],
            tumour_id=row["tumour_id"],
            sex=row["sex"],
            age=whole_years(born, today) if born else None,
            topography=row["topography"],
            morphology=row["morphology"],
            stage=row["stage"],
            verdict=verdict(results).value,
            results=results,
        )
        held = best.get(item.person_id)
        if held is None or _rank(item) < _rank(held):
            best[item.person_id] = item
    return list(best.values())


# ---------------------------------------------------------------- matching


def match_person(
    store: Store, principal: Principal, person_id: int, today: date | None = None
) -> dict:
    """The open trials for one person, eligible first, each with its verdict and every
    criterion's result and reason (no identifiers).

    Raises:
        NotFound: no such person, or not one the principal may see.
    """
    require(principal, Permission.TRIALS)
    today = today or date.today()
    with store.session() as session:
        frame = visible_case_frame(session, principal, person_id)
        trials = list(
            session.scalars(
                select(Trial).where(Trial.status != OBSOLETE, Trial.state == TrialState.OPEN)
            )
        )
        enrolled = set(
            session.scalars(
                select(TrialEnrolment.trial_id).where(
                    TrialEnrolment.person_id == person_id, TrialEnrolment.status != OBSOLETE
                )
            )
        )
    matches = [_match(t, frame, person_id, today, t.id in enrolled) for t in trials]
    matches.sort(key=lambda m: (VERDICT_ORDER[Verdict(m["verdict"])], m["code"]))
    return {"person_id": person_id, "today": today.isoformat(), "trials": matches}


def _match(trial: Trial, frame: pl.DataFrame, person_id: int, today: date, enrolled: bool):
    e = parse_eligibility(trial.eligibility or {})
    found = _best_per_person(frame, e, today)
    if not found:  # a person without a tumour in the registry
        results = evaluate(e, Case(), today)
        found = [
            Evaluated(
                person_id, None, None, None, None, None, None, verdict(results).value, results
            )
        ]
    return {
        "code": trial.code,
        "title_vi": trial.title_vi,
        "title_en": trial.title_en,
        "phase": trial.phase,
        "sponsor": trial.sponsor,
        "enrolled": enrolled,
        **found[0].public(),
    }


def eligible_persons(
    store: Store,
    principal: Principal,
    trial_code: str,
    today: date | None = None,
    *,
    include_possible: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> dict:
    """The persons visible to ``principal`` who are eligible (or possibly eligible) for a
    trial, eligible first; each with sex, age, site, stage, verdict and the criteria that
    failed or are unknown. Bulk: a few queries and one frame, whatever the registry's size.

    Raises:
        NotFound: no such trial.
    """
    require(principal, Permission.TRIALS)
    today = today or date.today()
    with store.session() as session:
        trial = find_trial(session, trial_code)
        e = parse_eligibility(trial.eligibility or {})
        frame = case_frame(session, principal)
        enrolled = set(
            session.scalars(
                select(TrialEnrolment.person_id).where(
                    TrialEnrolment.trial_id == trial.id, TrialEnrolment.status != OBSOLETE
                )
            )
        )
    found = _best_per_person(_prefilter(frame, e, today), e, today)
    keep = {Verdict.ELIGIBLE.value} | ({Verdict.POSSIBLE.value} if include_possible else set())
    found = sorted((f for f in found if f.verdict in keep), key=_rank)
    page = found[offset : offset + limit]
    return {
        "trial": trial.code,
        "today": today.isoformat(),
        "criteria": e.criteria(),
        "count": len(found),
        "eligible": sum(f.verdict == Verdict.ELIGIBLE for f in found),
        "limit": limit,
        "offset": offset,
        "data": [{**f.public(), "enrolled": f.person_id in enrolled} for f in page],
    }
