"""The demo registry's tumour boards, meetings and cases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncoreg.model import BoardCaseState, FacilityLevel, FacilityType, MeetingState, RecordStatus
from oncoreg.network.boards import _members, as_utc
from oncoreg.network.summary import case_summary
from oncoreg.store import (
    BoardCase,
    BoardMeeting,
    BoardMember,
    Facility,
    Source,
    Store,
    Tumour,
    TumourBoard,
)

DEMO_MEMBERS = (
    ("PGS.TS. Lê Văn Quảng", "surgical-oncology", "chair"),
    ("TS. Nguyễn Thị Hoa", "medical-oncology", "member"),
    ("TS. Trần Minh Đức", "radiation-oncology", "member"),
    ("ThS. Phạm Thu Hằng", "pathology", "member"),
    ("BS. Vũ Quang Huy", "radiology", "member"),
    ("BS. Đỗ Thị Mai", "palliative-care", "secretary"),
)
DEMO_QUESTIONS = (
    "Phẫu thuật sau hóa trị tân bổ trợ, hay hóa xạ trị trước?",
    "Điều trị toàn thân bước hai hay chăm sóc giảm nhẹ?",
    "Có chỉ định xạ trị bổ trợ sau phẫu thuật không?",
    "Người bệnh có phù hợp tham gia thử nghiệm lâm sàng không?",
    "Chuyển lên bệnh viện trung ương để phẫu thuật?",
)


def seed_demo(store: Store, today: date) -> str:
    """Demo boards: a weekly board at K Hospital (six members; a meeting held last week
    with two discussed cases, one planned next week with three submitted cases from
    other hospitals) and a second board at another central hospital. Idempotent."""
    with store.session(actor="oncoreg demo") as session:
        if session.scalar(select(TumourBoard.id).where(TumourBoard.code == "VTOP-K")):
            return "tumour boards: already seeded"
        hosts = _demo_hosts(session)
        if not hosts:
            return "tumour boards: no central hospital to host a board"
        board = _demo_board(session, "VTOP-K", "Hội chẩn ung thư liên viện (VTOP)", hosts[0])
        if len(hosts) > 1:
            _demo_board(session, "MDT-2", "Hội chẩn ung bướu đa chuyên khoa", hosts[1])
        cases = _demo_cases(session, board, today)
    return f"tumour boards: {len(hosts[:2])} boards, {cases} cases"


def _demo_hosts(session: Session) -> list[int]:
    """Central hospitals, K Hospital (VN-K) first."""
    rows = session.execute(
        select(Facility.id, Facility.code)
        .where(Facility.level == FacilityLevel.CENTRAL, Facility.type == FacilityType.HOSPITAL)
        .order_by(Facility.id)
    ).all()
    return [r.id for r in sorted(rows, key=lambda r: (r.code != "VN-K", r.id))]


def _demo_board(session: Session, code: str, name: str, host_id: int) -> TumourBoard:
    board = TumourBoard(
        code=code,
        name=name,
        host_facility_id=host_id,
        schedule="weekly, Tuesday 14:00",
        status=RecordStatus.CONFIRMED,
        sites="C00-C97",
    )
    session.add(board)
    session.flush()
    for name_, specialty, role in DEMO_MEMBERS:
        session.add(
            BoardMember(
                board_id=board.id,
                name=name_,
                specialty=specialty,
                role=role,
                facility_id=host_id,
                status=RecordStatus.CONFIRMED,
            )
        )
    session.flush()
    return board


def _demo_cases(session: Session, board: TumourBoard, today: date) -> int:
    held = _demo_meeting(session, board, today - timedelta(days=7), MeetingState.HELD)
    planned = _demo_meeting(session, board, today + timedelta(days=7), MeetingState.PLANNED)
    picks = _demo_persons(session, board.host_facility_id, 5)
    for index, (person_id, tumour_id, facility_id) in enumerate(picks):
        meeting = held if index < 2 else planned
        case = BoardCase(
            board_id=board.id,
            meeting_id=meeting.id,
            person_id=person_id,
            tumour_id=tumour_id,
            presenting_facility_id=facility_id,
            question=DEMO_QUESTIONS[index],
            summary=case_summary(session, person_id, tumour_id),
            state=BoardCaseState.SCHEDULED,
            submitted_by="oncoreg demo",
            status=RecordStatus.CONFIRMED,
        )
        if index < 2:
            case.state, case.recommended_by = BoardCaseState.DISCUSSED, "oncoreg demo"
            case.recommendation = "Hóa trị tân bổ trợ, sau đó đánh giá lại khả năng phẫu thuật."
            case.treatment_plan = "4 chu kỳ, chụp CT sau chu kỳ 4, trình lại hội đồng."
            case.recommended_at = held.starts_at
        session.add(case)
    held.attendees = [m["id"] for m in _members(session, board.id)]
    held.minutes = "Đã thảo luận hai ca; khuyến nghị được ghi trên từng ca."
    return len(picks)


def _demo_meeting(session: Session, board: TumourBoard, day: date, state) -> BoardMeeting:
    meeting = BoardMeeting(
        board_id=board.id,
        starts_at=as_utc(datetime.combine(day, time(14))),
        location="Phòng hội chẩn tầng 3 / video",
        state=state,
        status=RecordStatus.CONFIRMED,
    )
    session.add(meeting)
    session.flush()
    return meeting


def _demo_persons(session: Session, host_id: int, count: int) -> list[tuple[int, int, int]]:
    """(person, tumour, presenting facility): the first tumours, by id, reported by a
    facility other than the host, one person each."""
    rows = session.execute(
        select(Tumour.person_id, Tumour.id, Source.facility_id)
        .join(Source, Source.tumour_id == Tumour.id)
        .join(Facility, Facility.id == Source.facility_id)
        .where(Source.facility_id != host_id, Facility.type == FacilityType.HOSPITAL)
        .order_by(Tumour.id, Source.id)
    )
    picks: dict[int, tuple[int, int, int]] = {}
    for person_id, tumour_id, facility_id in rows:
        picks.setdefault(person_id, (person_id, tumour_id, facility_id))
        if len(picks) == count:
            break
    return list(picks.values())
