"""The demo registry's data-sharing agreements and research extracts."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from oncoreg.model import Role
from oncoreg.network.extracts import approve, record_agreement, request_extract
from oncoreg.services.access import Principal
from oncoreg.store import DataSharingAgreement, ExtractRequest, Store, Tumour

DEMO_PARTNER = "demo-partner"
DEMO_ADMIN = Principal(username="demo-admin", role=Role.ADMIN)
DEMO_AGREEMENTS = (
    {
        "code": "OUCRU-2025",
        "organisation": "Oxford University Clinical Research Unit",
        "title": "Cancer incidence and survival in Vietnam: joint analysis",
        "purpose": "population-based survival of liver cancer by stage and region",
        "variables": "sex,age_group,region,province,diagnosis_year,site_group,topography,"
        "morphology,basis,stage,vital_status,survival_days,surgery,radiotherapy,chemotherapy",
    },
    {
        "code": "HERZEN-2025",
        "organisation": "P.A. Herzen Moscow Oncology Research Institute",
        "title": "Stage at diagnosis of breast and cervical cancer",
        "purpose": "stage distribution and treatment of women's cancers",
        "variables": "sex,age_group,region,diagnosis_year,site_category,stage",
    },
)
# (agreement, variables, sites): the first is released, the second left pending
DEMO_REQUESTS = (
    ("OUCRU-2025", "sex,age_group,region,diagnosis_year,stage,vital_status,survival_days", "C22"),
    ("HERZEN-2025", "age_group,region,diagnosis_year,site_category,stage", "C50,C53"),
)


def seed_demo(store: Store, today: date) -> str:
    """The demo's agreements (Oxford, Herzen), one released extract and one pending
    request by ``demo-partner``; idempotent (a second call adds nothing)."""
    added = sum(_demo_agreement(store, spec, today) for spec in DEMO_AGREEMENTS)
    years = _demo_years(store, today)
    requests = 0
    for number, (code, variables, sites) in enumerate(DEMO_REQUESTS):
        purpose = f"demo request {number + 1}: {DEMO_AGREEMENTS[number]['purpose']}"
        if years is None or _has_request(store, purpose):
            continue
        partner = Principal(username=DEMO_PARTNER, role=Role.PARTNER)
        view = request_extract(
            store,
            partner,
            code,
            variables.split(","),
            years,
            purpose=purpose,
            sites=sites,
            today=today,
        )
        if number == 0:
            approve(store, DEMO_ADMIN, view.id, "demo release", today=today)
        requests += 1
    return f"{added} data-sharing agreements, {requests} extract requests"


def _demo_agreement(store: Store, spec: dict, today: date) -> int:
    with store.session() as session:
        code = spec["code"]
        if session.scalar(select(DataSharingAgreement.id).where(DataSharingAgreement.code == code)):
            return 0
    record_agreement(
        store,
        DEMO_ADMIN,
        signed_on=today - timedelta(days=180),
        expires_on=today + timedelta(days=3 * 365),
        members=[DEMO_PARTNER],
        **(spec | {"variables": spec["variables"].split(",")}),
    )
    return 1


def _demo_years(store: Store, today: date) -> str | None:
    with store.session() as session:
        last = session.scalar(select(func.max(Tumour.diagnosis_date)))
    if last is None:
        return None
    last_year = min(date.fromisoformat(str(last)[:10]).year, today.year)
    return f"{last_year - 4}-{last_year}"


def _has_request(store: Store, purpose: str) -> bool:
    with store.session() as session:
        found = session.scalar(select(ExtractRequest.id).where(ExtractRequest.purpose == purpose))
        return found is not None
