"""Request and response models of the REST API (one family per resource)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorPublic(BaseModel):
    error: str
    message: str
    hint: str | None = None
    problems: list[dict[str, Any]] | None = None


class SignInRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionPublic(BaseModel):
    token: str
    csrf_token: str
    username: str
    role: str
    must_change_password: bool


class MePublic(BaseModel):
    username: str
    display_name: str
    role: str
    facility_id: int | None
    permissions: list[str]


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PersonHitPublic(BaseModel):
    id: int
    name: str | None
    sex: str | None
    birth: str | None
    tumours: int
    facilities: list[str]


class PersonsPublic(BaseModel):
    data: list[PersonHitPublic]
    count: int
    offset: int
    limit: int


class TimelinePublic(BaseModel):
    person: dict[str, Any]
    tumours: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    events: list[dict[str, Any]]


class FollowUpCreate(BaseModel):
    contact_date: str = Field(description="YYYY-MM-DD", max_length=10)
    vital_status: str = Field(description="1 alive, 2 dead, 9 unknown", max_length=1)
    death_date: str | None = Field(None, max_length=10)
    cause_of_death: str | None = Field(None, max_length=5)


class FollowUpPublic(BaseModel):
    id: int
    contact_date: str | None
    vital_status: str | None
    death_date: str | None
    cause_of_death: str | None


class SourceEdit(BaseModel):
    changes: dict[str, str | None] = Field(
        description="field -> new value (dates YYYY-MM-DD); see the editable fields"
    )
    confirm: list[str] = Field(default_factory=list, description="warning rule ids confirmed")
    reason: str | None = Field(None, max_length=500)


class FindingPublic(BaseModel):
    rule_id: str
    severity: str
    field: str
    message_en: str
    message_vi: str


class FindingsPublic(BaseModel):
    data: list[FindingPublic]


class StoredFindingPublic(BaseModel):
    source_id: int
    facility_code: str
    report_id: str
    rule_id: str
    severity: str
    field: str
    confirmed_by: str | None
    confirmed_at: str | None


class StoredFindingsPublic(BaseModel):
    data: list[StoredFindingPublic]
    count: int
    offset: int
    limit: int


class Confirmation(BaseModel):
    facility_code: str = Field(max_length=32)
    report_id: str = Field(max_length=64)
    rule_id: str = Field(max_length=48)
    reason: str = Field(min_length=1, max_length=500)


class ReviewItemPublic(BaseModel):
    id: int
    kind: str
    left: str
    right: str | None
    match_probability: float | None
    reason: str
    decision: str | None


class ReviewItemsPublic(BaseModel):
    data: list[ReviewItemPublic]
    count: int


class ReviewDecision(BaseModel):
    decision: str = Field(description="match, non_match or unsure", max_length=12)
    note: str | None = Field(None, max_length=1000)
    with_facility: str | None = Field(None, max_length=32)
    with_report: str | None = Field(None, max_length=64)


class ImportJobPublic(BaseModel):
    id: str
    file_name: str
    state: str
    stage: str | None
    stages_done: int
    stages: int
    rows: int
    summary: dict[str, Any] | None
    error: dict[str, Any] | None
    has_rejects: bool


class ImportJobsPublic(BaseModel):
    data: list[ImportJobPublic]


class FacilityPublic(BaseModel):
    code: str
    name_vi: str
    name_en: str | None
    province_code: str
    level: str
    type: str
    parent_code: str | None
    status: str


class FacilitiesPublic(BaseModel):
    data: list[FacilityPublic]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field(max_length=24)
    display_name: str | None = Field(None, max_length=200)
    facility_code: str | None = Field(None, max_length=32)


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    facility_code: str | None
    active: bool
    must_change_password: bool


class UserCreated(BaseModel):
    user: UserPublic
    one_time_password: str | None


class UsersPublic(BaseModel):
    data: list[UserPublic]


class AuditEventPublic(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: int
    facility_id: int | None
    fields: list[str]


class AuditEventsPublic(BaseModel):
    data: list[AuditEventPublic]
    count: int
    offset: int
    limit: int


class ReportEntry(BaseModel):
    fields: dict[str, str | None] = Field(
        description="canonical report fields (docs/report-csv.md): report_id, facility_code, "
        "names, sex, birth_date, topography, morphology, basis, diagnosis_date, ..."
    )


class EntryPublic(BaseModel):
    imported: int
    updated: int
    unchanged: int
    warnings: list[str]


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class StatusPublic(BaseModel):
    id: int
    status: str


class RecordPublic(BaseModel):
    record: dict[str, Any]
