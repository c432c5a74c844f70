"""The statistics API, the dashboard and its charts: small-cell suppression for roles below
registrar, the same numbers as the registry services, valid SVG/PNG/CSV, and the access
rules (analysts see suppressed numbers, partners nothing)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.errors import Forbidden
from oncoreg.model import Role
from oncoreg.services import published as pub
from oncoreg.services.access import Principal
from oncoreg.services.disclosure import suppress, threshold_for
from oncoreg.services.records import EDITABLE
from oncoreg.services.statistics import Selection, incidence_table
from oncoreg.web.pages import ENTRY_FIELDS

YEARS = "2020-2024"
SPAN = range(2020, 2025)
CHARTS = ("top-sites", "age-specific", "trend", "survival", "quality")
ANALYST = Principal("analyst-user", Role.ANALYST)
REGISTRAR = Principal("registrar-user", Role.REGISTRAR)
WEB = Path(__file__).resolve().parents[2] / "src" / "oncoreg" / "web"
SVG_START = (b"<?xml", b"<svg")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- the suppression rule ----------------------------------------------------------------

cells = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 40)),
        st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows=cells, threshold=st.integers(-1, 12))
def test_suppress_hides_every_small_cell_and_nothing_else(rows, threshold):
    frame = pl.DataFrame(
        {
            "site": [f"s{i}" for i in range(len(rows))],
            "cases": [r[0] for r in rows],
            "asr": [r[1] for r in rows],
            "pyrs": [1000.0] * len(rows),
        },
        schema={"site": pl.String, "cases": pl.Int64, "asr": pl.Float64, "pyrs": pl.Float64},
    )
    out = suppress(frame, "cases", ["asr"], threshold)
    assert out.columns == [*frame.columns, "suppressed"]
    assert out.height == frame.height
    for before, after in zip(frame.iter_rows(named=True), out.iter_rows(named=True), strict=True):
        small = threshold > 0 and before["cases"] is not None and before["cases"] < threshold
        assert after["suppressed"] is small
        if small:
            assert after["cases"] is None and after["asr"] is None
        else:
            assert after["cases"] == before["cases"] and after["asr"] == before["asr"]
        assert after["pyrs"] == before["pyrs"]  # not a value derived from the count
        # no published cell shows a small count
        assert after["suppressed"] or not (0 < (after["cases"] or 0) < threshold)


def test_suppress_can_be_applied_twice_and_by_default_blanks_float_columns():
    frame = pl.DataFrame({"site": ["a", "b"], "cases": [10, 2], "deaths": [1, 8], "m": [0.1, 4.0]})
    once = suppress(frame)
    assert once["m"].to_list() == [0.1, None] and once["deaths"].to_list() == [1, 8]
    twice = suppress(once, "deaths", ["deaths", "m"], 5)
    assert twice["suppressed"].to_list() == [True, True]
    assert twice["deaths"].to_list() == [None, None]


def test_threshold_depends_on_the_role_and_the_setting():
    assert threshold_for(full_statistics=False, small_cells=5) == 5
    assert threshold_for(full_statistics=True, small_cells=5) is None
    assert threshold_for(full_statistics=False, small_cells=0) is None


# -- the published statistics ------------------------------------------------------------


def _no_small_cell(data: pl.DataFrame, threshold: int = 5, count: str = "cases") -> None:
    shown = data.filter(~pl.col("suppressed"))
    assert shown.filter(pl.col(count).is_between(1, threshold - 1)).is_empty()
    hidden = data.filter(pl.col("suppressed"))
    assert hidden[count].null_count() == hidden.height


def test_analyst_gets_suppressed_incidence_registrar_the_full_table(web_registry):
    selection = Selection(SPAN)
    full = incidence_table(web_registry, selection).rates
    registrar = pub.published_incidence(web_registry, REGISTRAR, selection)
    analyst = pub.published_incidence(web_registry, ANALYST, selection)
    assert registrar.suppressed_below is None and not registrar.data["suppressed"].any()
    same = registrar.data.join(full, on=["site", "sex"], suffix="_full")
    assert same.height == full.height == registrar.data.height
    assert (same["cases"] == same["cases_full"]).all()
    assert same["asr"].to_list() == pytest.approx(same["asr_full"].to_list(), rel=1e-12)
    assert analyst.suppressed_below == 5 and analyst.data["suppressed"].any()
    _no_small_cell(analyst.data)
    assert analyst.data.filter(pl.col("suppressed"))["asr"].null_count() > 0
    kept = analyst.data.filter(~pl.col("suppressed")).join(full, on=["site", "sex"])
    assert kept["asr"].to_list() == pytest.approx(kept["asr_right"].to_list(), rel=1e-12)
    with pytest.raises(Forbidden):
        pub.published_incidence(web_registry, Principal("p", Role.PARTNER), selection)


def test_default_years_are_the_last_complete_ones(web_registry):
    assert pub.default_years(web_registry, today=date(2025, 3, 1)) == range(2020, 2025)
    assert pub.default_years(web_registry, today=date(2024, 3, 1)) == range(2019, 2024)


def test_every_published_table_hides_small_cells_for_the_analyst(web_registry):
    selection = Selection(SPAN)
    tables = [
        pub.published_age_specific(web_registry, ANALYST, selection),
        pub.published_trend(web_registry, ANALYST, selection),
        pub.published_quality(web_registry, ANALYST, selection),
        pub.published_provinces(web_registry, ANALYST, selection),
    ]
    for table in tables:
        _no_small_cell(table.data)
    survival = pub.published_survival(web_registry, ANALYST, selection, sites=3, times=(1.0,))
    _no_small_cell(survival.data, count="patients")


# -- the API -----------------------------------------------------------------------------


def test_incidence_api_shape_and_suppression(clients, web_registry):
    answer = clients["analyst"].get("/api/v1/stats/incidence", params={"years": YEARS})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"data", "suppressed_below", "parameters", "not_counted"}
    assert body["suppressed_below"] == 5
    assert body["parameters"]["years"] == YEARS and body["parameters"]["by"] == ["site", "sex"]
    for row in body["data"]:
        assert {"site", "label", "sex", "cases", "asr", "asr_lower", "suppressed"} <= set(row)
        if row["suppressed"]:
            assert row["cases"] is None and row["asr"] is None and row["crude_rate"] is None
        else:
            assert row["cases"] >= 5
    full = clients["registrar"].get("/api/v1/stats/incidence", params={"years": YEARS}).json()
    assert full["suppressed_below"] is None
    expected = incidence_table(web_registry, Selection(SPAN)).rates
    got = {(r["site"], r["sex"]): r["asr"] for r in full["data"]}
    assert got == pytest.approx(
        {(s, x): a for s, x, a in expected.select("site", "sex", "asr").rows()}
    )


def test_incidence_api_top_and_strata(clients):
    body = (
        clients["registrar"]
        .get("/api/v1/stats/incidence", params={"years": YEARS, "by": "sex,year", "top": 0})
        .json()
    )
    assert {(r["sex"], r["year"]) for r in body["data"]} == {(s, y) for s in (1, 2) for y in SPAN}
    top = (
        clients["registrar"]
        .get("/api/v1/stats/incidence", params={"years": YEARS, "top": 3})
        .json()
    )
    assert len(top["data"]) == 8  # all sites and the 3 leading sites, per sex


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/stats/age-specific", {"site": "lung", "sex": 1}),
        ("/api/v1/stats/trend", {}),
        ("/api/v1/stats/survival", {"sites": 2, "times": "1,2", "method": "km"}),
        ("/api/v1/stats/quality", {"by": "site,sex"}),
    ],
)
def test_other_statistics_answer_in_the_same_shape(clients, path, params):
    for role in ("analyst", "registrar"):
        answer = clients[role].get(path, params={"years": YEARS, **params})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["suppressed_below"] == (5 if role == "analyst" else None)
        assert body["data"] and all("suppressed" in row for row in body["data"])
        count = "patients" if "survival" in path else "cases"
        if role == "analyst":
            _no_small_cell(pl.DataFrame(body["data"]), count=count)


def test_trend_api_gives_the_apc_per_sex(clients):
    body = clients["registrar"].get("/api/v1/stats/trend", params={"years": YEARS}).json()
    assert [r["year"] for r in body["data"] if r["sex"] == 1] == list(SPAN)
    apc = {row["sex"]: row for row in body["apc"]}
    assert set(apc) == {1, 2}
    for row in apc.values():
        assert row["apc_lower"] <= row["apc"] <= row["apc_upper"] and row["years"] == 5
    small = (
        clients["analyst"].get("/api/v1/stats/trend", params={"years": YEARS, "site": "C22"}).json()
    )
    hidden = {r["sex"] for r in small["data"] if r["suppressed"]}
    assert hidden and small["apc"], "liver cancer of a small registry has small cells"
    for row in small["apc"]:
        if row["sex"] in hidden:
            assert row["apc"] is None


def test_statistics_refuse_partners_and_bad_parameters(clients):
    partner = clients["partner"]
    for path in ("incidence", "age-specific", "trend", "survival", "quality"):
        answer = partner.get(f"/api/v1/stats/{path}", params={"years": YEARS})
        assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
    for page in ("/dashboard", "/charts/top-sites.svg", "/report"):
        assert partner.get(page, params={"years": YEARS}).status_code == 403
    analyst = clients["analyst"]
    bad = analyst.get("/api/v1/stats/incidence", params={"years": "20x"})
    assert bad.status_code == 422 and set(bad.json()) >= {"error", "message", "hint"}
    bad = analyst.get("/api/v1/stats/incidence", params={"years": YEARS, "standard": "mars"})
    assert bad.status_code == 422 and "world-segi" in bad.json()["hint"]
    assert analyst.get("/api/v1/stats/incidence", params={"years": "2030"}).status_code == 422


# -- charts and pages --------------------------------------------------------------------


@pytest.mark.parametrize("name", CHARTS)
def test_charts_are_valid_svg_and_png(clients, name):
    for role in ("analyst", "registrar"):
        svg = clients[role].get(f"/charts/{name}.svg", params={"years": YEARS})
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert svg.content.lstrip().startswith(SVG_START) and b"</svg>" in svg.content
        png = clients[role].get(f"/charts/{name}.png", params={"years": YEARS, "site": "lung"})
        assert png.status_code == 200 and png.content.startswith(PNG_MAGIC)
    assert clients["analyst"].get(f"/charts/{name}.gif").status_code == 404


def test_chart_csv_holds_the_numbers_of_the_incidence_table(clients, web_registry):
    expected = incidence_table(web_registry, Selection(SPAN)).rates
    full = clients["registrar"].get("/charts/top-sites.csv", params={"years": YEARS})
    assert full.status_code == 200 and full.headers["content-type"].startswith("text/csv")
    table = pl.read_csv(io.BytesIO(full.content))
    assert 0 < table.height <= 20
    joined = table.join(expected, on=["site", "sex"], suffix="_expected")
    assert joined.height == table.height
    assert (joined["cases"] == joined["cases_expected"]).all()
    assert joined["asr"].to_list() == pytest.approx(joined["asr_expected"].to_list(), rel=1e-12)
    hidden = pl.read_csv(
        io.BytesIO(clients["analyst"].get("/charts/top-sites.csv", params={"years": YEARS}).content)
    )
    assert hidden.filter(~pl.col("suppressed") & (pl.col("cases") < 5)).is_empty()
    for name in CHARTS:
        answer = clients["analyst"].get(f"/charts/{name}.csv", params={"years": YEARS})
        assert answer.status_code == 200 and "suppressed" in answer.text.splitlines()[0]


def test_dashboard_shows_every_chart_with_its_downloads(clients):
    page = clients["analyst"].get("/dashboard")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<link rel="alternate" type="application/json" href="/api/v1/stats/incidence?' in html
    for name in CHARTS:
        assert f'<img src="/charts/{name}.svg?years=2020-2024' in html
        for fmt in ("csv", "png", "svg"):
            assert f'href="/charts/{name}.{fmt}?years=2020-2024' in html
    assert 'id="incidence"' in html and 'id="provinces"' in html
    assert "&lt;5" in html  # suppressed cells are shown as <5


def test_the_dashboard_content_is_kept_per_role_and_language(clients, monkeypatch):
    """Rendered once per role, view and language (until the data change); an analyst's
    content (suppressed cells) is never a registrar's, and the frame is each user's."""
    from oncoreg.services import cache
    from oncoreg.web import dashboard

    rendered = []
    fragment = dashboard.fragment
    monkeypatch.setattr(dashboard, "fragment", lambda *a: rendered.append(a[1]) or fragment(*a))
    cache.clear()
    first = clients["analyst"].get("/dashboard").text
    again = clients["analyst"].get("/dashboard").text
    registrar = clients["registrar"].get("/dashboard").text
    assert len(rendered) == 2
    assert "&lt;5" in first and "&lt;5" in again and "&lt;5" not in registrar
    assert "analyst-user" in first and "registrar-user" in registrar
    clients["analyst"].cookies.set("oncoreg_lang", "en")
    try:
        clients["analyst"].get("/dashboard")
    finally:
        clients["analyst"].cookies.delete("oncoreg_lang")
    assert len(rendered) == 3 and rendered[-1] == "en"


def test_dashboard_in_english_and_vietnamese(clients):
    client = clients["registrar"]
    client.cookies.set("oncoreg_lang", "en")
    try:
        english = client.get("/dashboard", params={"years": YEARS, "site": "lung"}).text
        client.cookies.set("oncoreg_lang", "vi")
        vietnamese = client.get("/dashboard", params={"years": YEARS}).text
    finally:
        client.cookies.delete("oncoreg_lang")
    assert "Incidence by site and sex" in english and "Liver and intrahepatic" in english
    assert '<option value="lung" selected>' in english
    assert '<html lang="vi">' in vietnamese and "Phổi" in vietnamese  # site names in vi
    assert "&lt;5" not in english  # the registrar sees every cell


def test_report_page_and_download(clients):
    form = clients["analyst"].get("/report")
    assert form.status_code == 200 and 'action="/report/download"' in form.text
    report = clients["analyst"].get(
        "/report/download", params={"year": 2023, "lang": "en", "format": "html"}
    )
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "Cells with fewer than 5 cases are suppressed" in report.text
    assert (
        clients["analyst"]
        .get("/report/download", params={"year": 2023, "format": "doc"})
        .status_code
        == 404
    )
    assert clients["analyst"].get("/report/download", params={"year": 1990}).status_code == 422


# -- the Vietnamese strings --------------------------------------------------------------

MSGID = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _catalog() -> dict[str, str]:
    folder = WEB / "locales" / "vi" / "LC_MESSAGES"
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            found |= {m.id: m.string for m in read_po(handle, locale="vi") if m.id}
    return found


def test_every_string_of_every_page_has_a_vietnamese_translation():
    from oncoreg.report.charts import SURVIVAL_AXIS
    from oncoreg.web.pages import TITLES

    sources = [
        *sorted((WEB / "templates").glob("*.html")),
        WEB.parent / "report" / "charts.py",
        WEB.parent / "report" / "annual.py",
    ]
    wanted = set(SURVIVAL_AXIS.values()) | set(pub.APC_NOTES.values()) | set(TITLES.values())
    wanted |= {r.value for r in Role} | set(EDITABLE) | {"Error"}
    wanted |= {label for _, label in ENTRY_FIELDS}
    for path in sources:
        text = path.read_text(encoding="utf-8")
        wanted |= {a or b for a, b in MSGID.findall(text)}
        wanted |= set(re.findall(r'translator\(lang\)\(\s*"([^"]+)"', text))
    catalog = _catalog()
    missing = sorted(w for w in wanted if not catalog.get(w))
    assert not missing, missing
