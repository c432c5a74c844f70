"""A referral end to end in headless Chromium: a hospital user of facility A refers a
person to facility B (which lacks the capacity asked for: a warning is shown), a hospital
user of B accepts, records the first visit and completes it, and A sees it completed with
its history. Screenshots go to test-artifacts/screenshots."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from oncoreg.api import create_app
from oncoreg.services.access import SYSTEM
from oncoreg.services.users import create_user
from oncoreg.settings import Settings
from oncoreg.store import Facility, Source, Tumour
from tests.web.browser import Server, screenshot
from tests.web.conftest import PASSWORD, SECRET, copy_registry
from tests.web.test_browser import browser, page, sign_in  # noqa: F401

RECEIVER_USER = "receiving-hospital-user"


@pytest.fixture(scope="module")
def referral_site(web_registry, tmp_path_factory, hospital_code):
    """The app on a copy of the registry, a hospital user of another facility B (which
    has medical oncology but no radiotherapy), and a person of the hospital user's A."""
    store = copy_registry(web_registry, tmp_path_factory.mktemp("browser-referrals"))
    with store.session() as session:
        receiver = session.scalars(
            select(Facility).where(Facility.code != hospital_code).order_by(Facility.code)
        ).first()
        receiver.specialties, receiver.equipment = ["medical-oncology"], {"ct": 1}
        receiver_code = receiver.code
        person_id = session.scalar(
            select(Tumour.person_id)
            .join(Source, Source.tumour_id == Tumour.id)
            .join(Facility, Facility.id == Source.facility_id)
            .where(Facility.code == hospital_code)
            .order_by(Tumour.person_id)
        )
    create_user(
        store,
        SYSTEM,
        username=RECEIVER_USER,
        role="hospital",
        facility_code=receiver_code,
        password=PASSWORD,
    )
    app = create_app(store, Settings(database_url=store.url, secret_key=SECRET))
    with Server(app) as url:
        yield url, receiver_code, person_id
    store.dispose()


def test_refer_accept_see_complete_and_the_sender_sees_it(referral_site, browser, page):  # noqa: F811
    url, receiver, person_id = referral_site
    sign_in(page, url, "hospital-user")
    page.click("a[data-nav=referrals]")
    page.click("a[href='/referrals/new']")
    page.fill("#person_id", str(person_id))
    page.click("main form[method=get] button[type=submit]")
    page.wait_for_selector("#referral-form")
    page.select_option("select[name=to_facility]", receiver)
    page.select_option("select[name=service]", "radiotherapy")
    page.select_option("select[name=urgency]", "urgent")
    page.fill("textarea[name=reason]", "radiotherapy after surgery")
    screenshot(page, "21-referral-new")
    page.click("#referral-form button[type=submit]")
    page.wait_for_url("**/referrals/*?sent=1")
    referral_url = page.url.split("?")[0]
    warning = page.locator("#capacity-warning").inner_text()
    assert "Radiation oncology" in warning and "Linear accelerator" in warning
    assert page.locator("#referral-state").get_attribute("data-state") == "sent"
    screenshot(page, "22-referral-sent")

    receiving = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    other = receiving.new_page()
    other.set_default_timeout(15_000)
    sign_in(other, url, RECEIVER_USER)
    other.goto(f"{url}/referrals")
    link = other.locator(f"#received a[href='{referral_url.removeprefix(url)}']")
    assert link.count() == 1 and other.locator("#sent tbody tr").count() == 0
    screenshot(other, "23-referrals-received")
    link.click()
    other.fill("#accept-form input[name=note]", "booked for the clinic")
    other.click("#accept-form button[type=submit]")
    other.wait_for_url("**?done=accept")
    other.fill("#first-visit-form input[name=date]", date.today().isoformat())
    other.click("#first-visit-form button[type=submit]")
    other.wait_for_url("**?done=first-visit")
    assert other.locator("#first-visit").inner_text() != ""
    other.click("#complete-form button[type=submit]")
    other.wait_for_url("**?done=complete")
    assert other.locator("#referral-state").get_attribute("data-state") == "completed"
    screenshot(other, "24-referral-completed")
    receiving.close()

    page.goto(referral_url)
    assert page.locator("#referral-state").inner_text() == "completed"
    history = page.locator("#history tbody tr td:nth-child(3)").all_inner_texts()
    assert history == ["sent", "accepted", "accepted", "completed"]
    assert "booked for the clinic" in page.locator("#history").inner_text()
    assert page.locator("form[action$='/cancel']").count() == 0  # closed: no actions left
    screenshot(page, "25-referral-history")
