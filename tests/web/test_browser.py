"""The pages as a registrar uses them, in headless Chromium: sign in, find a person
without typing diacritics, fix a warned report with live checks, import a file and watch
it finish, decide a review pair, switch language. Screenshots of each page are saved in
test-artifacts/screenshots for a person to look at."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from oncoreg.api import create_app
from oncoreg.settings import Settings
from oncoreg.store import Source
from tests.web.browser import LAUNCH_ARGS, Server, ensure_chromium, screenshot
from tests.web.conftest import PASSWORD, SECRET, copy_registry

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(web_registry, tmp_path_factory):
    store = copy_registry(web_registry, tmp_path_factory.mktemp("browser"))
    app = create_app(store, Settings(database_url=store.url, secret_key=SECRET))
    with Server(app) as url:
        yield url, store
    store.dispose()


@pytest.fixture(scope="module")
def browser():
    executable = ensure_chromium()
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, url: str, username: str = "registrar-user") -> None:
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_sign_in_search_without_diacritics_and_open_a_person(site, page):
    url, _ = site
    page.goto(f"{url}/login")
    screenshot(page, "01-login")
    sign_in(page, url)
    assert page.locator("h1").inner_text() == "Find a person"
    page.fill("#name", "nguyen")
    page.wait_for_selector("#person-hits")
    names = page.locator("#person-hits tbody tr td:nth-child(2)").all_inner_texts()
    assert names and all("NGUY" in n.upper() for n in names)
    assert any("Nguyễn" in n or "NGUYỄN" in n for n in names)
    screenshot(page, "02-search")
    page.locator("#person-hits tbody a").first.click()
    page.wait_for_selector("section.tumour")
    assert page.locator("h1").inner_text().startswith("Person #")
    screenshot(page, "03-person")


def test_fix_a_report_with_live_checks_and_confirm_the_warning(site, page):
    url, store = site
    with store.session() as session:
        source = session.scalars(
            select(Source)
            .where(Source.diagnosis_date.is_not(None), Source.tumour_id.is_not(None))
            .where(Source.death_date.is_(None))
            .order_by(Source.id.desc())
        ).first()
        source_id, person_id, diagnosed = source.id, source.tumour.person_id, source.diagnosis_date
    sign_in(page, url)
    page.goto(f"{url}/persons/{person_id}")
    row = page.locator(f"#edit-{source_id}")
    row.locator("summary").click()
    row.locator("input[name=sex]").fill("7")
    page.wait_for_selector(f"#findings-{source_id} li.error")
    assert "VAL-SEX" in page.locator(f"#findings-{source_id}").inner_text()
    row.locator("input[name=sex]").fill(source_sex(store, source_id))
    row.locator("input[name=vital_status]").fill("2")
    row.locator("input[name=last_contact_date]").fill(str(diagnosed + timedelta(days=30)))
    row.locator("input[name=death_date]").fill(str(diagnosed + timedelta(days=90)))
    warning = page.locator(f"#findings-{source_id} li.warning", has_text="DATE-DEATH")
    warning.wait_for()
    screenshot(page, "04-live-checks")
    warning.locator("input[type=checkbox]").check()
    row.locator("input[name=reason]").fill("death certificate seen")
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"**/persons/{person_id}?saved={source_id}")
    assert "saved" in page.locator(".flash").inner_text()
    with store.session() as session:
        assert session.get(Source, source_id).death_date == diagnosed + timedelta(days=90)


def source_sex(store, source_id: int) -> str:
    with store.session() as session:
        sex = session.get(Source, source_id).sex
        return getattr(sex, "value", sex) or "9"


def test_import_a_file_and_watch_it_finish(site, page, tmp_path):
    url, store = site
    from tests.web.conftest import busiest_facility

    facility = busiest_facility(store)
    tag = uuid.uuid4().hex[:6]
    csv = tmp_path / "reports.csv"
    csv.write_text(
        "report_id,facility_code,family_name,given_name,sex,birth_date,topography,morphology,"
        "basis,diagnosis_date\n"
        f"B-{tag}-1,{facility},Lê,Hoa,2,1970-05-06,C50.9,8500/3,7,2024-02-01\n"
        f"B-{tag}-2,{facility},Lê,Hoa,8,1970-05-06,C50.9,8500/3,7,2024-02-01\n",
        encoding="utf-8",
    )
    sign_in(page, url)
    page.goto(f"{url}/imports")
    page.set_input_files("input[name=file]", str(csv))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#import-state[data-state=done]", timeout=60_000)
    summary = page.locator("table.summary").inner_text()
    assert "Rows read\t2" in summary and "Rejected\t1" in summary
    assert page.locator("a", has_text="Download the rejected rows").count() == 1
    screenshot(page, "05-import")


def test_decide_a_review_pair(site, page):
    url, _ = site
    sign_in(page, url)
    page.goto(f"{url}/review")
    screenshot(page, "06-review-queue")
    page.locator("table a").first.click()
    page.wait_for_selector("table.side-by-side")
    screenshot(page, "07-review-pair")
    page.fill("input[name=note]", "different birth dates on the paper files")
    page.click("button[value=non_match]")
    page.wait_for_url("**/review?decided=*")
    assert page.locator(".flash").count() == 1


def test_switch_language_to_vietnamese_and_back(site, page):
    url, _ = site
    sign_in(page, url)
    page.click("a[hreflang=vi]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Tìm người bệnh"
    screenshot(page, "08-search-vi")
    page.click("a[hreflang=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Find a person"


def test_a_hospital_user_sees_only_its_own_persons(site, page):
    url, store = site
    from tests.web.conftest import busiest_facility

    sign_in(page, url, "hospital-user")
    page.fill("#name", "a")
    page.wait_for_selector("#person-hits")
    facilities = page.locator("#person-hits tbody tr td:nth-child(6)").all_inner_texts()
    assert facilities and set(facilities) == {busiest_facility(store)}
    assert page.locator("a[href='/users']").count() == 0


def test_open_the_dashboard_and_download_a_chart_and_the_report(site, page):
    url, _ = site
    sign_in(page, url, "analyst-user")
    page.click("a[data-nav=dashboard]")
    page.wait_for_load_state("networkidle")
    chart = page.locator("img[src^='/charts/top-sites.svg']")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    screenshot(page, "09-dashboard")
    with page.expect_download() as csv_download:
        page.locator("a[href^='/charts/top-sites.csv']").first.click()
    text = open(csv_download.value.path(), encoding="utf-8").read()
    assert text.splitlines()[0].startswith(("site", "label", "sex"))
    page.goto(f"{url}/report")
    screenshot(page, "10-report-form")
    page.select_option("select[name=format]", "html")
    with page.expect_download() as report_download:
        page.click("main form button[type=submit]")
    report = open(report_download.value.path(), encoding="utf-8").read()
    assert "<table" in report and "ASR" in report
