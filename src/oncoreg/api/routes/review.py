"""The review queue: pairs of reports that may be one person, decided by registrars."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from oncoreg.api.deps import RecordId, StoreDep, allowed
from oncoreg.api.models import ReviewDecision, ReviewItemsPublic
from oncoreg.errors import InputError
from oncoreg.services import review
from oncoreg.services.access import Permission, Principal

router = APIRouter(prefix="/api/v1/review", tags=["review"])
Reviewer = allowed(Permission.REVIEW)


@router.get("", response_model=ReviewItemsPublic, operation_id="list_review")
def list_review(
    store: StoreDep,
    principal: Principal = Reviewer,
    include_decided: bool = Query(False),
    limit: int = Query(50, ge=1, le=500),
) -> ReviewItemsPublic:
    rows = review.review_list(store, include_decided=include_decided, limit=limit)
    return ReviewItemsPublic(data=[vars(r) for r in rows], count=review.review_count(store))


@router.get("/{item_id}", response_model=dict[str, Any], operation_id="get_review_item")
def get_review_item(item_id: RecordId, store: StoreDep, principal: Principal = Reviewer) -> dict:
    """Both reports side by side, field by field, with the model's weights."""
    return review.review_pair(store, item_id)


@router.post("/{item_id}/decision", status_code=204, operation_id="decide_review_item")
def decide_review_item(
    item_id: RecordId, body: ReviewDecision, store: StoreDep, principal: Principal = Reviewer
) -> None:
    with_report = None
    if body.with_facility or body.with_report:
        if not (body.with_facility and body.with_report):
            raise InputError("give both with_facility and with_report, or neither")
        with_report = (body.with_facility, body.with_report)
    review.decide(
        store,
        item_id,
        body.decision,
        actor=principal.username,
        note=body.note,
        with_report=with_report,
    )
