"""Waiting times of referrals: by receiving facility and urgency, days from referral to
first visit. They are aggregates (counts and days, no persons), and every network user
sees those of every receiving facility, so that a hospital can choose where to refer."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from oncoreg.model import ReferralState, Urgency
from oncoreg.network.referrals import OPEN, local_day
from oncoreg.services.access import Permission, Principal, require
from oncoreg.store import Facility, Referral, ReferralEvent, Store

URGENT_DAYS = 14  # an urgent referral should be seen within two weeks


@dataclass(frozen=True)
class WaitingRow:
    """Referrals received by one facility at one urgency, and how long people waited
    from referral to first visit (days; only referrals with a first visit count)."""

    facility: str
    facility_name: str
    urgency: str
    referrals: int
    accepted: int
    declined: int
    completed: int
    seen: int
    median_days: float | None
    p90_days: float | None
    seen_within_14_days: float | None  # urgent only: share of those seen


def waiting_times(
    store: Store, principal: Principal, since: date | None = None, until: date | None = None
) -> list[WaitingRow]:
    """Referrals by receiving facility and urgency, referred between ``since`` and
    ``until`` (inclusive): how many, accepted (ever), declined, completed, and the median
    and 90th percentile of the days from referral to first visit (linear interpolation,
    as R's ``quantile(type = 7)``), with, for urgent referrals, the share of those seen
    within 14 days.

    Every network user sees every facility's rows: they hold counts and days, no persons.
    """
    require(principal, Permission.NETWORK)
    with store.session() as session:
        referrals = session.scalars(select(Referral).where(Referral.status.in_(OPEN))).all()
        accepted = set(
            session.scalars(
                select(ReferralEvent.referral_id).where(
                    ReferralEvent.state == ReferralState.ACCEPTED
                )
            )
        )
        facilities = {f.id: (f.code, f.name_vi) for f in session.scalars(select(Facility))}
    groups: dict[tuple[int, Urgency], list[Referral]] = defaultdict(list)
    for r in referrals:
        day = local_day(r.referred_at)
        if (since is None or day >= since) and (until is None or day <= until):
            groups[(r.to_facility_id, r.urgency)].append(r)
    order = list(Urgency)
    keys = sorted(groups, key=lambda k: (facilities[k[0]][0], order.index(k[1])))
    return [_waiting_row(facilities[k[0]], k[1], groups[k], accepted) for k in keys]


def _waiting_row(facility, urgency: Urgency, group: list[Referral], accepted) -> WaitingRow:
    days = sorted(
        (r.first_visit_date - local_day(r.referred_at)).days
        for r in group
        if r.first_visit_date is not None
    )
    within = None
    if urgency is Urgency.URGENT and days:
        within = sum(d <= URGENT_DAYS for d in days) / len(days)
    return WaitingRow(
        facility=facility[0],
        facility_name=facility[1],
        urgency=urgency.value,
        referrals=len(group),
        accepted=sum(r.id in accepted for r in group),
        declined=sum(r.state is ReferralState.DECLINED for r in group),
        completed=sum(r.state is ReferralState.COMPLETED for r in group),
        seen=len(days),
        median_days=quantile(days, 0.5),
        p90_days=quantile(days, 0.9),
        seen_within_14_days=within,
    )


def quantile(values: list[int] | list[float], p: float) -> float | None:
    """The ``p`` quantile of sorted ``values`` by linear interpolation between order
    statistics (R's type 7, numpy's default); None for no values."""
    if not values:
        return None
    h = (len(values) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(values) - 1)
    return float(values[low] + (h - low) * (values[high] - values[low]))
