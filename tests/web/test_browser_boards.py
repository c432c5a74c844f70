"""A tumour board case end to end in headless Chromium: a hospital user of facility A
presents a case to a board hosted by facility B; a hospital user of B plans a meeting,
puts the case on it and records the recommendation; A sees the recommendation; the
agenda PDF downloads. Screenshots go to test-artifacts/screenshots."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oncoreg.model import FacilityType
from oncoreg.network import boards
from oncoreg.services.access import SYSTEM
from oncoreg.services.users import create_user
from oncoreg.store import Facility, Source, Tumour
from tests.web.browser import screenshot
from tests.web.conftest import PASSWORD
from tests.web.test_browser import browser, page, sign_in, site  # noqa: F401 - fixtures

pytest.importorskip("playwright.sync_api")
QUESTION = "Neoadjuvant chemotherapy before surgery, or surgery first?"
ADVICE = "Four cycles of neoadjuvant chemotherapy, then surgery at the host hospital."


def _setup(store, hospital: str) -> tuple[int, int]:
    """A board hosted by another hospital than A, its host user, and a person of A."""
    with store.session() as session:
        host = session.scalar(
            select(Facility.code)
            .where(Facility.code != hospital, Facility.type == FacilityType.HOSPITAL)
            .order_by(Facility.code)
        )
        person_id = session.scalar(
            select(Tumour.person_id)
            .join(Source, Source.tumour_id == Tumour.id)
            .join(Facility, Facility.id == Source.facility_id)
            .where(Facility.code == hospital)
            .order_by(Tumour.id)
        )
    board = boards.create_board(store, SYSTEM, code="E2E-MDT", name="End-to-end board", host=host)
    boards.add_member(store, SYSTEM, board["id"], name="Dr Chair", specialty="surgery")
    create_user(
        store, SYSTEM, username="board-host", role="hospital", facility_code=host,
        password=PASSWORD,
    )  # fmt: skip
    return board["id"], person_id


def test_a_board_case_end_to_end(site, browser, page, hospital_code):  # noqa: F811
    url, store = site
    board_id, person_id = _setup(store, hospital_code)

    sign_in(page, url, "hospital-user")
    page.goto(f"{url}/boards/cases/new?person_id={person_id}")
    assert page.locator("input[name=person_id]").input_value() == str(person_id)
    page.select_option("select[name=board]", "E2E-MDT")
    page.fill("textarea[name=question]", QUESTION)
    screenshot(page, "boards-01-submit")
    page.click("#new-case button[type=submit]")
    page.wait_for_url(re.compile(r".*/boards/cases/\d+\?submitted=1"))
    case_id = int(re.search(r"/boards/cases/(\d+)", page.url).group(1))
    assert page.locator("#question").inner_text() == QUESTION
    assert page.locator("#recommend").count() == 0  # not the host side

    host = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    host_page = host.new_page()
    host_page.set_default_timeout(15_000)
    sign_in(host_page, url, "board-host")
    host_page.goto(f"{url}/boards/{board_id}")
    host_page.fill("input[name=starts_at]", "2031-01-07T14:00")
    host_page.fill("#plan-meeting input[name=location]", "Room 3")
    host_page.click("#plan-meeting button[type=submit]")
    host_page.wait_for_url(re.compile(r".*/boards/meetings/\d+\?planned=1"))
    meeting_path = host_page.url.split("?")[0]
    host_page.goto(f"{url}/boards/cases/{case_id}")
    host_page.click("#schedule button[type=submit]")
    host_page.wait_for_url(re.compile(r".*\?scheduled=1"))
    assert host_page.locator("#case-state").inner_text() == "Scheduled"
    host_page.fill("textarea[name=recommendation]", ADVICE)
    host_page.fill("textarea[name=treatment_plan]", "AC x4, then surgery")
    screenshot(host_page, "boards-02-recommend")
    host_page.click("#recommend button[type=submit]")
    host_page.wait_for_url(re.compile(r".*\?recommended=1"))
    host_page.goto(meeting_path)
    assert QUESTION in host_page.locator("#agenda").inner_text()
    screenshot(host_page, "boards-03-meeting")
    with host_page.expect_download() as download:
        host_page.click("#agenda-pdf")
    assert open(download.value.path(), "rb").read(4) == b"%PDF"
    host.close()

    page.goto(f"{url}/boards/cases/{case_id}")
    assert ADVICE in page.locator("#recommendation").inner_text()
    assert page.locator("#case-state").inner_text() == "Discussed"
    screenshot(page, "boards-04-recommendation-seen")
