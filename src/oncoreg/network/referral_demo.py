"""The demo registry's referrals: between the demo facilities, in each state."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from oncoreg.model import FacilityType, RecordStatus, ReferralState, Urgency
from oncoreg.network.referrals import _event, _send
from oncoreg.store import Facility, Referral, Source, Store, Tumour

DEMO_ACTOR = "oncoreg demo"
# preferred (sender, receiver): provincial oncology hospitals to central ones, and both
# ways between K Hospital and Bach Mai; any facility that reports stands in when missing
DEMO_ROUTES = (
    ("HN-UB", "VN-K"),
    ("VN-K", "VN-BM"),
    ("NA-UB", "VN-K"),
    ("VN-BM", "VN-K"),
    ("TH-UB", "VN-BM"),
    ("DN-UB", "VN-HUE"),
)
# (service, urgency, final state, days ago, days to acceptance, days to first visit)
DEMO_STEPS = (
    ("radiotherapy", Urgency.URGENT, ReferralState.COMPLETED, 60, 1, 9),
    ("haematology", Urgency.ROUTINE, ReferralState.ACCEPTED, 40, 2, 25),
    ("pet-ct", Urgency.URGENT, ReferralState.COMPLETED, 35, 1, 18),
    ("brachytherapy", Urgency.ROUTINE, ReferralState.DECLINED, 20, 3, None),
    ("surgery", Urgency.URGENT, ReferralState.ACCEPTED, 6, 1, None),
    ("chemotherapy", Urgency.EMERGENCY, ReferralState.SENT, 1, None, None),
)
DEMO_REASONS = {
    ReferralState.COMPLETED: "chưa có phương pháp điều trị này; đề nghị điều trị, gửi lại kết quả",
    ReferralState.ACCEPTED: "hội chẩn của bệnh viện đề nghị điều trị tiếp",
    ReferralState.DECLINED: "đề nghị khám chuyên khoa",
    ReferralState.SENT: "bệnh tiến triển nhanh; đề nghị đánh giá",
}


def seed_demo(store: Store, today: date) -> str:
    """Demo referrals between the demo facilities in each state, for the lowest-numbered
    persons with a tumour reported by the sending facility. Adds nothing when referrals
    exist already. Returns a one-line summary."""
    with store.session(actor=DEMO_ACTOR) as session:
        if session.scalar(select(func.count()).select_from(Referral)):
            return "0 referrals added (the registry has referrals already)"
        routes = _demo_routes(session)
        used: set[int] = set()
        made = 0
        for (sender, receiver), step in zip(routes, DEMO_STEPS, strict=False):
            case = _demo_case(session, sender, used)
            if case is None:
                continue
            used.add(case[0])
            _demo_referral(session, (sender, receiver), case, step, today)
            made += 1
    return f"{made} referrals"


def _demo_routes(session: Session) -> list[tuple[Facility, Facility]]:
    reporting = session.scalars(
        select(Facility)
        .where(Facility.type == FacilityType.HOSPITAL, Facility.status != RecordStatus.OBSOLETE)
        .where(select(Source.id).where(Source.facility_id == Facility.id).exists())
        .order_by(Facility.code)
    ).all()
    by_code = {f.code: f for f in reporting}
    routes = [(by_code[a], by_code[b]) for a, b in DEMO_ROUTES if a in by_code and b in by_code]
    for i, sender in enumerate(reporting):  # stand-ins: each facility to the next one
        receiver = reporting[(i + 1) % len(reporting)]
        if sender.id != receiver.id:
            routes.append((sender, receiver))
    return routes


def _demo_case(session: Session, sender: Facility, used: set[int]) -> tuple[int, int] | None:
    found = session.execute(
        select(Tumour.person_id, func.min(Tumour.id))
        .join(Source, Source.tumour_id == Tumour.id)
        .where(Source.facility_id == sender.id, Tumour.status != RecordStatus.OBSOLETE)
        .where(Tumour.person_id.not_in(used) if used else true())
        .group_by(Tumour.person_id)
        .order_by(Tumour.person_id)
        .limit(1)
    ).first()
    return (found[0], found[1]) if found else None


def _demo_referral(session, route, case, step, today: date) -> None:
    service, urgency, state, days_ago, accept_after, visit_after = step
    sent = datetime.combine(today - timedelta(days=days_ago), time(9, 0), tzinfo=UTC)
    referral = _send(session, DEMO_ACTOR, route, case, service, DEMO_REASONS[state], urgency, sent)
    if accept_after is not None:
        then = sent + timedelta(days=accept_after)
        first = ReferralState.DECLINED if state is ReferralState.DECLINED else None
        note = (
            "không còn giường trước ngày cần điều trị; đề nghị chuyển cơ sở khác" if first else None
        )
        session.add(_event(referral, DEMO_ACTOR, first or ReferralState.ACCEPTED, note, then))
    if visit_after is not None:
        referral.first_visit_date = (sent + timedelta(days=visit_after)).date()
        then = sent + timedelta(days=visit_after, hours=2)
        note = f"first visit {referral.first_visit_date.isoformat()}"
        session.add(_event(referral, DEMO_ACTOR, ReferralState.ACCEPTED, note, then))
    if state is ReferralState.COMPLETED:
        then = sent + timedelta(days=visit_after + 5)
        session.add(_event(referral, DEMO_ACTOR, state, "đã điều trị; đã gửi báo cáo", then))
    referral.state = state
