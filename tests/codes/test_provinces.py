"""Provinces before and after the merger of 1 July 2025 (Resolution 202/2025/QH15).

The shipped table is compared with the reference files in
``../shared/reference/vn-admin`` (parsed from the GSO/NSO conversion table); every
difference is listed in ``NAME_DIFFERENCES`` and asserted exactly.
"""

from __future__ import annotations

import csv
import unicodedata
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncoreg.codes._tables import clear_caches
from oncoreg.codes.provinces import (
    ERA_2004,
    ERA_2025,
    ERAS,
    Province,
    find_province,
    legacy_codes,
    province,
    provinces,
    to_2025,
)
from oncoreg.errors import InputError, UnknownCode
from oncoreg.text import fold_vietnamese

# (era, code) -> (our name_vi, reference name). Both are deliberate:
# - 17: the reference keeps GSO's old tone placement "Hoà"; the table writes "Hòa" as it
#   writes Khánh Hòa and Thanh Hóa (the reference writes those two the same way). Both
#   fold to the same key and both find the province.
# - 46: the reference names the unit as it stood on 30 June 2025 (Thành phố Huế, a
#   centrally-run city since 1 January 2025); the 2004 row keeps the name it had for
#   almost the whole era and in most records, Tỉnh Thừa Thiên Huế. "Huế" finds it too.
NAME_DIFFERENCES = {
    (ERA_2004, "17"): ("Tỉnh Hòa Bình", "Tỉnh Hoà Bình"),
    (ERA_2004, "46"): ("Tỉnh Thừa Thiên Huế", "Thành phố Huế"),
}


def _norm(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split())


def _read_reference(reference_dir: Path, name: str) -> list[dict[str, str]]:
    path = reference_dir / "vn-admin" / name
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- hand cases -------------------------------------------------------------------------


def test_ha_giang_joins_tuyen_quang() -> None:
    ha_giang = find_province("Hà Giang", era=ERA_2004)
    assert (ha_giang.code, ha_giang.new_code) == ("02", "08")
    assert to_2025("02") == "08"
    assert province("08", era=ERA_2025).name_vi == "Tỉnh Tuyên Quang"
    assert legacy_codes("08") == ("02", "08")


def test_bac_kan_joins_thai_nguyen() -> None:
    assert to_2025("06") == "19"
    assert province("19", era=ERA_2025).name_vi == "Tỉnh Thái Nguyên"
    assert legacy_codes("19") == ("06", "19")


def test_ha_noi_is_unchanged() -> None:
    old, new = province("01", era=ERA_2004), province("01", era=ERA_2025)
    assert old.name_vi == new.name_vi == "Thành phố Hà Nội"
    assert to_2025("01") == "01"
    assert legacy_codes("01") == ("01",)


def test_thua_thien_hue_becomes_hue() -> None:
    old = find_province("Thừa Thiên Huế", era=ERA_2004)
    assert (old.code, old.name_vi, old.new_code) == ("46", "Tỉnh Thừa Thiên Huế", "46")
    new = find_province("Thừa Thiên Huế", era=ERA_2025)
    assert (new.code, new.name_vi, new.name_en) == ("46", "Thành phố Huế", "Hue")
    assert legacy_codes("46") == ("46",)


def test_ho_chi_minh_city_absorbs_binh_duong_and_ba_ria_vung_tau() -> None:
    assert legacy_codes("79") == ("74", "77", "79")
    for name in ("Bình Dương", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"):
        assert find_province(name, era=ERA_2004).new_code == "79"
    assert province("79", era=ERA_2025).name_en == "Ho Chi Minh City"


# --- codes and eras ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["1", "01", " 01 ", "001", 1])
def test_code_forms(code: str | int) -> None:
    assert province(code, era=ERA_2025).code == "01"


def test_era_may_be_left_out_for_a_code_of_one_era() -> None:
    assert province("02") == province("02", era=ERA_2004)


def test_era_is_required_for_a_code_of_both_eras() -> None:
    with pytest.raises(InputError, match="both eras") as caught:
        province("08")
    assert not isinstance(caught.value, UnknownCode)


@pytest.mark.parametrize("era", ["2024", "", "new"])
def test_unknown_era(era: str) -> None:
    with pytest.raises(InputError, match="not a province era"):
        province("01", era=era)
    with pytest.raises(InputError, match="not a province era"):
        provinces(era)


def test_unknown_code_suggests_neighbours() -> None:
    with pytest.raises(UnknownCode) as caught:
        province("03", era=ERA_2004)
    assert caught.value.table == "province"
    assert caught.value.suggestions[:2] == ["02 Tỉnh Hà Giang", "04 Tỉnh Cao Bằng"]


def test_retired_code_in_2025_suggests_its_successor() -> None:
    with pytest.raises(UnknownCode) as caught:
        province("02", era=ERA_2025)
    assert caught.value.suggestions == ["08 Tỉnh Tuyên Quang"]


def test_to_2025_is_idempotent_and_rejects_unknown_codes() -> None:
    for p in provinces(ERA_2004):
        assert to_2025(to_2025(p.code)) == to_2025(p.code)
    with pytest.raises(UnknownCode):
        to_2025("99")
    with pytest.raises(UnknownCode):
        legacy_codes("02")


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "era", "code"),
    [
        ("TP HCM", ERA_2025, "79"),
        ("TP.HCM", ERA_2025, "79"),
        ("tp. hồ chí minh", ERA_2004, "79"),
        ("TPHCM", ERA_2004, "79"),
        ("HCM", ERA_2025, "79"),
        ("Sài Gòn", ERA_2025, "79"),
        ("Ho Chi Minh City", ERA_2025, "79"),
        ("Ha Noi", ERA_2025, "01"),
        ("Hanoi", ERA_2004, "01"),
        ("Thành phố Hà Nội", ERA_2004, "01"),
        ("Hue", ERA_2025, "46"),
        ("Huế", ERA_2004, "46"),
        ("Thừa Thiên - Huế", ERA_2025, "46"),
        ("BR-VT", ERA_2004, "77"),
        ("Bà Rịa - Vũng Tàu", ERA_2004, "77"),
        ("ba ria vung tau", ERA_2004, "77"),
        ("Tỉnh Cao Bằng", ERA_2025, "04"),
        ("CAO BANG", ERA_2025, "04"),
        ("Daklak", ERA_2025, "66"),
        ("Đăk Lăk", ERA_2004, "66"),
        ("Bắc Cạn", ERA_2004, "06"),
        ("Hoà Bình", ERA_2004, "17"),
        ("Hòa Bình", ERA_2004, "17"),
    ],
)
def test_names_and_aliases(name: str, era: str, code: str) -> None:
    assert find_province(name, era=era).code == code


def test_name_of_one_era_needs_no_era() -> None:
    assert find_province("Bình Dương") == province("74", era=ERA_2004)


def test_name_of_both_eras_needs_an_era() -> None:
    with pytest.raises(InputError, match="both eras"):
        find_province("Tuyên Quang")


def test_unknown_name_suggests_nearest_names() -> None:
    with pytest.raises(UnknownCode) as caught:
        find_province("Ha Giangg", era=ERA_2004)
    assert caught.value.suggestions[0] == "Tỉnh Hà Giang"


def test_pre_2025_name_in_2025_suggests_its_successor() -> None:
    with pytest.raises(UnknownCode) as caught:
        find_province("BR-VT", era=ERA_2025)
    assert caught.value.suggestions[0] == "Thành phố Hồ Chí Minh"


def test_every_name_folded_finds_its_province() -> None:
    for era in ERAS:
        for p in provinces(era):
            assert fold_vietnamese(p.name_vi).isascii()
            assert find_province(fold_vietnamese(p.name_vi), era=era) == p
            assert find_province(p.name_en, era=era) == p
            assert find_province(p.short_name_vi.upper(), era=era) == p


PREFIXES = ["", "Tỉnh ", "Thành phố ", "TP. ", "TP ", "tp.", "  "]
SPELLINGS = [
    lambda s: s,
    fold_vietnamese,
    str.upper,
    str.lower,
    lambda s: unicodedata.normalize("NFD", s),
    lambda s: s.replace(" ", "  "),
]


@given(
    era=st.sampled_from(ERAS),
    pick=st.integers(min_value=0, max_value=62),
    prefix=st.sampled_from(PREFIXES),
    spelling=st.sampled_from(SPELLINGS),
)
def test_any_spelling_finds_the_province(era: str, pick: int, prefix: str, spelling) -> None:
    target = provinces(era)[pick % len(provinces(era))]
    assert find_province(spelling(prefix + target.short_name_vi), era=era) == target
    assert fold_vietnamese(target.name_vi).isascii()


# --- the table as a whole ---------------------------------------------------------------


def test_row_counts() -> None:
    assert len(provinces(ERA_2004)) == 63
    assert len(provinces(ERA_2025)) == 34
    assert {p.code for p in provinces(ERA_2025)} <= {p.code for p in provinces(ERA_2004)}


def test_every_2025_code_is_the_new_code_of_a_2004_province() -> None:
    targets = {p.new_code for p in provinces(ERA_2004)}
    for p in provinces(ERA_2025):
        assert p.new_code == p.code
        assert p.code in targets
        assert p.code in legacy_codes(p.code)  # each keeps the code of one merged province


def test_province_is_frozen() -> None:
    p = province("01", era=ERA_2025)
    assert isinstance(p, Province)
    with pytest.raises(AttributeError):
        p.code = "02"  # type: ignore[misc]


def test_shipped_file_is_nfc_with_the_documented_header() -> None:
    text = resources.files("oncoreg.codes.data").joinpath("provinces.tsv").read_text("utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert text.splitlines()[0].split("\t") == ["code", "era", "name_vi", "name_en", "new_code"]


def test_same_as_reference_63_to_34(reference_dir: Path) -> None:
    reference = _read_reference(reference_dir, "province-63-to-34.csv")
    assert len(reference) == 63
    assert {r["old_province_code"] for r in reference} == {p.code for p in provinces(ERA_2004)}
    differences = {}
    for row in reference:
        old = province(row["old_province_code"], era=ERA_2004)
        new = province(row["new_province_code"], era=ERA_2025)
        assert old.new_code == row["new_province_code"], old
        assert _norm(new.name_vi) == _norm(row["new_province_name"])
        if _norm(old.name_vi) != _norm(row["old_province_name"]):
            differences[(ERA_2004, old.code)] = (old.name_vi, row["old_province_name"])
    assert differences == NAME_DIFFERENCES


def test_same_as_reference_2025(reference_dir: Path) -> None:
    reference = _read_reference(reference_dir, "provinces-2025.csv")
    assert [r["province_code"] for r in reference] == [p.code for p in provinces(ERA_2025)]
    for row in reference:
        new = province(row["province_code"], era=ERA_2025)
        assert _norm(new.name_vi) == _norm(row["province_name"])
        expected = tuple(sorted(row["legacy_province_codes"].split(";")))
        assert legacy_codes(new.code) == expected


# --- a registry's own table -------------------------------------------------------------


def test_inconsistent_override_table_is_reported(monkeypatch, tmp_path: Path) -> None:
    rows = [
        "code\tera\tname_vi\tname_en\tnew_code",
        "01\t2004\tThành phố Hà Nội\tHa Noi\t01",
        "02\t2004\tTỉnh Hà Giang\tHa Giang\t08",
        "01\t2025\tThành phố Hà Nội\tHa Noi\t01",
        "01\t2030\tThành phố Hà Nội\tHa Noi\t01",
    ]
    (tmp_path / "provinces.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv("ONCOREG_CODES_DIR", str(tmp_path))
    clear_caches()
    with pytest.raises(InputError, match="inconsistent") as caught:
        province("01", era=ERA_2025)
    found = [(p.row, p.message) for p in caught.value.problems]
    assert found == [
        (3, "new_code 08 is not a 2025 code"),
        (5, "era '2030' is neither 2004 nor 2025"),
    ]
    assert all(p.file == str(tmp_path / "provinces.tsv") for p in caught.value.problems)


@pytest.mark.parametrize("code", ["²", "٣", "1²", "x"])
def test_a_code_of_digits_that_are_not_ascii_is_unknown_with_suggestions(code: str) -> None:
    """Superscripts and other scripts' digits count as digits to Python but are no code."""
    with pytest.raises(UnknownCode):
        province(code, era=ERA_2025)
