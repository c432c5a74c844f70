"""The annual report (HTML and PDF), its charts and ``oncoreg report``, on a small linked
synthetic registry: the CI5 tables hold the numbers of ``incidence_table``."""

from __future__ import annotations

import re

import polars as pl
import pytest

from oncoreg.cli import main
from oncoreg.errors import Forbidden, InputError
from oncoreg.model import Role
from oncoreg.report import charts
from oncoreg.report.annual import annual_report, number, write_report
from oncoreg.services import published as pub
from oncoreg.services.access import SYSTEM, Principal
from oncoreg.services.facilities import import_facilities
from oncoreg.services.imports import import_file
from oncoreg.services.linkage import link_registry
from oncoreg.services.population import import_life_table, import_population
from oncoreg.services.registry import seed_provinces
from oncoreg.services.statistics import Selection, incidence_table
from oncoreg.store import Store, upgrade
from oncoreg.synth import generate

SECRET = "report-test-secret-" + "r" * 32
YEAR = 2023
ANALYST = Principal("analyst", Role.ANALYST)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    synth = folder / "synth"
    generate(persons=500, years="2019-2024", facilities=6, seed=3, out=synth, formats=("csv",))
    store = Store(f"sqlite:///{folder / 'registry.db'}", SECRET)
    upgrade(store)
    seed_provinces(store)
    import_facilities(store, synth / "facilities.csv")
    for path in sorted((synth / "reports" / "csv").glob("*.csv")):
        import_file(store, path)
    link_registry(store, actor="test")
    import_population(store, synth / "population.csv")
    import_life_table(store, synth / "lifetable.csv")
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def english(registry) -> str:
    return annual_report(registry, SYSTEM, YEAR, "en")


def _ci5_rows(html: str, sex: int) -> dict[str, dict[str, str]]:
    """The cells of the CI5 table of one sex, by site and cell class."""
    table = re.search(rf'<table class="ci5" data-sex="{sex}">(.*?)</table>', html, re.S)
    assert table, f"no CI5 table for sex {sex}"
    rows = {}
    for site, body in re.findall(r'<tr data-site="([^"]+)"[^>]*>(.*?)</tr>', table.group(1), re.S):
        cells = re.findall(r'<td class="num ([a-z ]+)"[^>]*>([^<]*)</td>', body)
        rows[site] = {name.split()[-1]: text.strip() for name, text in cells}
    return rows


def test_report_has_a_title_page_and_inline_charts(english):
    assert english.startswith("<!doctype html>")
    assert '<section class="title-page">' in english
    assert "Population-based cancer registry" in english and f">{YEAR}<" in english
    assert "Generated on 20" in english
    assert english.count("<svg") >= 5  # leading sites, age, trend, survival, quality
    assert "<?xml" not in english and "<img" not in english and "src=" not in english
    assert "suppressed" not in re.sub(r"<style>.*?</style>", "", english, flags=re.S).lower()


def test_ci5_tables_hold_the_numbers_of_the_incidence_table(registry, english):
    rates = incidence_table(registry, Selection(range(YEAR, YEAR + 1))).rates
    for sex in (1, 2):
        shown = _ci5_rows(english, sex)
        expected = rates.filter(pl.col("sex") == sex)
        assert shown and set(shown) <= set(expected["site"].to_list())
        assert "all-excl-nmsc" in shown
        for row in expected.filter(pl.col("site").is_in(list(shown))).iter_rows(named=True):
            cells = shown[row["site"]]
            assert cells["cases"] == number(row["cases"], "en", 0)
            assert cells["asr"] == number(row["asr"], "en")
            assert cells["crude"] == number(row["crude_rate"], "en")
            assert cells["risk"] == number(row["cum_risk_0_74"], "en", 2)
            assert cells["pct"] == number(row["pct"], "en")
            lower, upper = cells["ci"].split("–")
            assert (lower, upper) == (
                number(row["asr_lower"], "en"),
                number(row["asr_upper"], "en"),
            )


def test_ci5_order_and_sex_specific_sites(english):
    males, females = _ci5_rows(english, 1), _ci5_rows(english, 2)
    assert list(males)[-1] == "all-excl-nmsc" and list(females)[-1] == "all-excl-nmsc"
    assert not {"cervix-uteri", "ovary", "corpus-uteri"} & set(males)
    assert not {"prostate", "testis"} & set(females)


def test_quality_table_and_vietnamese_report(registry):
    html = annual_report(registry, SYSTEM, YEAR, "vi")
    assert '<html lang="vi">' in html
    assert '<table class="quality">' in html
    assert "Phổi" in html or "Gan" in html  # Vietnamese site names
    rates = incidence_table(registry, Selection(range(YEAR, YEAR + 1))).rates
    total = rates.filter((pl.col("sex") == 1) & (pl.col("site") == "all-excl-nmsc")).row(
        0, named=True
    )
    assert _ci5_rows(html, 1)["all-excl-nmsc"]["asr"] == number(total["asr"], "vi")
    assert "," in number(total["asr"], "vi")  # decimal comma


def test_analyst_report_suppresses_small_cells(registry):
    html = annual_report(registry, ANALYST, YEAR, "en", small_cells=5)
    assert "Cells with fewer than 5 cases are suppressed" in html
    for sex in (1, 2):
        for site, cells in _ci5_rows(html, sex).items():
            if "asr" in cells:
                assert int(cells["cases"].replace(",", "")) >= 5, site
            else:
                assert cells["cases"] == "&lt;5"
    with pytest.raises(Forbidden):
        annual_report(registry, Principal("p", Role.PARTNER), YEAR, "en")


def test_write_report_html_and_pdf(registry, tmp_path):
    html = write_report(registry, SYSTEM, YEAR, tmp_path / "report.html", "en")
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")
    try:
        import weasyprint  # noqa: F401 - needs the system's Pango
    except OSError as err:  # pragma: no cover - a machine without Pango
        pytest.skip(f"WeasyPrint cannot load: {err}")
    pdf = write_report(registry, SYSTEM, YEAR, tmp_path / "report.pdf", "vi")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_write_report_refuses_other_files_and_empty_years(registry, tmp_path):
    with pytest.raises(InputError, match="name the file .html or .pdf") as caught:
        write_report(registry, SYSTEM, YEAR, tmp_path / "report.docx")
    assert "report.docx" in caught.value.message
    with pytest.raises(InputError, match="no tumours diagnosed in 1999"):
        write_report(registry, SYSTEM, 1999, tmp_path / "report.html")
    with pytest.raises(InputError, match="unknown language"):
        annual_report(registry, SYSTEM, YEAR, "fr")
    assert not list(tmp_path.iterdir())


def test_report_command(registry, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ONCOREG_DATABASE_URL", registry.url)
    monkeypatch.setenv("ONCOREG_SECRET_KEY", SECRET)
    out = tmp_path / "annual.html"
    code = main(["report", "--year", str(YEAR), "--out", str(out), "--lang", "en"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"annual report {YEAR} (en) written" in printed.out
    assert '<table class="ci5"' in out.read_text(encoding="utf-8")
    assert main(["report", "--year", str(YEAR), "--out", str(tmp_path / "r.txt")]) == 1
    assert "name the file .html or .pdf" in capsys.readouterr().err
    assert main(["report", "--year", "1999", "--out", str(out)]) == 1
    assert "no tumours diagnosed in 1999" in capsys.readouterr().err


def test_charts_render_svg_and_png_without_data(registry):
    empty = pl.DataFrame(
        schema={"site": pl.String, "label": pl.String, "sex": pl.Int64, "asr": pl.Float64}
    )
    for fmt, start in (("svg", b"<?xml"), ("png", b"\x89PNG")):
        assert charts.top_sites_chart(empty, "vi", fmt).startswith(start)
    data = pub.published_incidence(registry, SYSTEM, Selection(range(YEAR, YEAR + 1))).data
    svg = charts.top_sites_chart(pub.top_sites(data), "en", "svg")
    assert svg == charts.top_sites_chart(pub.top_sites(data), "en", "svg")  # reproducible
    with pytest.raises(InputError, match="unknown chart format"):
        charts.top_sites_chart(empty, "en", "gif")
