"""Vietnamese names of the synthetic registry: draws, reporting variations, parsing.

Shares are checked against the table weights within ``Z`` standard errors of a binomial
proportion, ``sqrt(p (1 - p) / n)``; every draw uses a fixed seed, so the outcome does not
depend on luck from run to run.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.codes.provinces import provinces
from oncoreg.errors import InputError, UnknownCode
from oncoreg.synth.names import (
    NameTables,
    draw_names,
    given_name_variant,
    join_full,
    name_tables,
    region_of_province,
    split_full_name,
    typo,
)
from oncoreg.text import telex_keystrokes, tone_placement, tone_position

N = 200_000
Z = 4.0  # tolerance in standard errors (two-sided p ~ 6e-5 per check)
SEED = 20250601


def within(observed: float, expected: float, n: int) -> bool:
    """Whether a proportion of n draws is within Z standard errors of its expectation."""
    se = math.sqrt(expected * (1 - expected) / n)
    return abs(observed - expected) <= Z * se


def is_nfc(values) -> bool:
    return all(unicodedata.is_normalized("NFC", v) for v in values)


@pytest.fixture(scope="module")
def draw():
    rng = np.random.default_rng(SEED)
    sex = np.where(rng.random(N) < 0.5, "1", "2")
    family, middle, given_ = draw_names(rng, sex)
    return sex, family, middle, given_


@pytest.fixture(scope="module")
def full_names(draw):
    _, family, middle, given_ = draw
    return join_full(family[:5000], middle[:5000], given_[:5000])


# --- the table --------------------------------------------------------------------------

PUBLISHED_SHARES = {
    ("Nguyễn",): 0.38,
    ("Trần",): 0.11,
    ("Lê",): 0.095,
    ("Phạm",): 0.071,
    ("Hoàng", "Huỳnh"): 0.051,
    ("Phan",): 0.045,
    ("Vũ", "Võ"): 0.039,
    ("Đặng",): 0.021,
    ("Bùi",): 0.02,
    ("Đỗ",): 0.014,
    ("Hồ",): 0.013,
    ("Ngô",): 0.013,
    ("Dương",): 0.01,
    ("Lý",): 0.005,
}


@pytest.mark.parametrize(("names", "share"), PUBLISHED_SHARES.items())
def test_family_weights_are_the_published_shares(names, share):
    for sex in ("M", "F"):
        table = name_tables().table("family", sex)
        assert sum(table.share(n) for n in names) == pytest.approx(share, abs=0.0005)


def test_table_is_nfc_with_about_a_hundred_given_names_per_sex():
    tables = name_tables()
    for (part, sex), table in tables.tables.items():
        assert is_nfc(table.names), (part, sex)
        assert len(set(table.names)) == len(table.names), (part, sex)
        assert table.p.sum() == pytest.approx(1.0)
    assert len(tables.table("given", "M").names) >= 100
    assert len(tables.table("given", "F").names) >= 100
    assert len(tables.table("family", "M").names) >= 45


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("part\tsex\tname\tweight\nfamily\tX\tLê\t1\n", "unknown part"),
        ("part\tsex\tname\tweight\nfamily\t\tLe\u0302\t1\n", "not NFC"),
        ("part\tsex\tname\tweight\nfamily\t\tLê\t0\n", "weight"),
        ("part\tsex\tname\tweight\nfamily\t\tLê\t1\nfamily\tM\tLê\t1\n", "repeats"),
        ("part\tsex\tname\tweight\nfamily\t\tLê\t1\n", "no middle names"),
    ],
)
def test_bad_tables_are_refused(text, problem):
    with pytest.raises(InputError, match=problem):
        NameTables.from_text(text)


# --- drawing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
)
def test_family_shares_match_the_weights(draw, name):
    sex, family, _, _ = draw
    n_male = int((sex == "1").sum())
    tables = name_tables()
    expected = (
        n_male * tables.table("family", "M").share(name)
        + (N - n_male) * tables.table("family", "F").share(name)
    ) / N
    assert within(float(np.mean(family == name)), expected, N)


def test_thi_is_for_women_and_van_for_men(draw):
    sex, _, middle, _ = draw
    words = [set(m.split()) for m in middle.tolist()]
    thi = np.array(["Thị" in w for w in words])
    van = np.array(["Văn" in w for w in words])
    male = sex == "1"
    assert thi[~male].mean() > 0.7 and not thi[male].any()
    assert van[male].mean() > 0.45 and not van[~male].any()


def test_some_have_two_middle_names_and_a_few_none(draw):
    _, _, middle, _ = draw
    n_words = np.array([len(m.split()) for m in middle.tolist()])
    assert within(float(np.mean(n_words == 2)), 0.08, N)
    assert within(float(np.mean(n_words == 0)), 0.01, N)
    assert n_words.max() == 2
    doubled = middle[n_words == 2]
    assert all(a != b for a, b in (m.split() for m in doubled.tolist()))


def test_given_names_come_from_the_persons_sex(draw):
    sex, _, middle, given_ = draw
    tables = name_tables()
    for code, table_sex in (("1", "M"), ("2", "F")):
        drawn = set(given_[sex == code].tolist())
        assert drawn <= set(tables.table("given", table_sex).names)
    last_middle = np.array([(m.split() or [""])[-1] for m in middle.tolist()], dtype=object)
    assert not (last_middle == given_).any()


def test_same_seed_same_names_and_other_seed_other_names():
    sex = np.array(["1", "2"] * 500)
    first = draw_names(np.random.default_rng(7), sex)
    again = draw_names(np.random.default_rng(7), sex)
    other = draw_names(np.random.default_rng(8), sex)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_integer_sex_codes_draw_the_same_names():
    by_text = draw_names(np.random.default_rng(3), np.array(["1", "2", "2"]))
    by_int = draw_names(np.random.default_rng(3), np.array([1, 2, 2]))
    for a, b in zip(by_text, by_int, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("region", "north", "south", "southern_share"),
    [
        ("N", "Hoàng", "Huỳnh", 0.03),
        ("C", "Hoàng", "Huỳnh", 0.55),
        ("S", "Hoàng", "Huỳnh", 0.85),
        ("N", "Vũ", "Võ", 0.08),
        ("S", "Vũ", "Võ", 0.75),
    ],
)
def test_region_shifts_the_spelling(region, north, south, southern_share):
    rng = np.random.default_rng(SEED + 1)
    sex = np.where(rng.random(N) < 0.5, "1", "2")
    family, _, _ = draw_names(rng, sex, np.full(N, region))
    in_family = (family == north) | (family == south)
    n_family = int(in_family.sum())
    assert within(float(np.mean(family[in_family] == south)), southern_share, n_family)
    pair_share = name_tables().table("family", "F").share(north)
    pair_share += name_tables().table("family", "F").share(south)
    assert within(n_family / N, pair_share, N)


@pytest.mark.parametrize(
    ("sex", "region", "message"),
    [(["1", "3"], None, "sex"), (["1", "2"], ["N", "X"], "region"), (["1"], ["N", "S"], "shape")],
)
def test_bad_codes_are_refused(sex, region, message):
    region = None if region is None else np.array(region)
    with pytest.raises(ValueError, match=message):
        draw_names(np.random.default_rng(0), np.array(sex), region)


# --- regions of provinces -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "region"),
    [("01", "N"), ("1", "N"), ("37", "N"), ("38", "C"), ("46", "C"), ("68", "C")]
    + [("70", "S"), ("79", "S"), ("96", "S"), ("02", "N"), ("62", "C")],
)
def test_region_of_province(code, region):
    assert region_of_province(code) == region


def test_every_2004_province_has_a_region():
    counts = {"N": 0, "C": 0, "S": 0}
    for p in provinces("2004"):
        counts[region_of_province(p.code)] += 1
    assert counts == {"N": 25, "C": 19, "S": 19}


def test_unknown_province_code_is_refused():
    with pytest.raises(UnknownCode):
        region_of_province("03")


# --- full names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("  Nguyễn   Văn  An ", ("Nguyễn", "Văn", "An")),
        ("Lan", ("", "", "Lan")),
        ("Tôn Nữ Thị Hà", ("Tôn Nữ", "Thị", "Hà")),
        ("TON NU THI HA", ("TON NU", "THI", "HA")),
        ("Tôn Thất Tùng", ("Tôn Thất", "", "Tùng")),
        ("Âu Dương Lân", ("Âu Dương", "", "Lân")),
        ("Công Tằng Tôn Nữ Thị Xuân", ("Công Tằng Tôn Nữ", "Thị", "Xuân")),
        ("Tôn Nữ", ("Tôn", "", "Nữ")),
        ("Tôn Đức Thắng", ("Tôn", "Đức", "Thắng")),
        ("Nguyễn Thị Ngọc Anh", ("Nguyễn", "Thị Ngọc", "Anh")),
        ("Lê Duẩn", ("Lê", "", "Duẩn")),
        ("Nguye\u0302\u0303n\u00a0Văn\tAn", ("Nguyễn", "Văn", "An")),
        ("\ufeffTrần\u200b Hưng Đạo", ("Trần", "Hưng", "Đạo")),
        ("", ("", "", "")),
        (" \t ", ("", "", "")),
    ],
)
def test_split_full_name_hand_cases(full, parts):
    assert split_full_name(full) == parts


def test_join_full_leaves_out_empty_parts():
    assert join_full("Nguyễn", "Thị", "Hồng") == "Nguyễn Thị Hồng"
    assert join_full("Lê", "", "Duẩn") == "Lê Duẩn"
    arrays = [np.array(a, dtype=object) for a in (["Lê", "Hồ"], ["", "Chí"], ["Duẩn", "Minh"])]
    assert join_full(*arrays).tolist() == ["Lê Duẩn", "Hồ Chí Minh"]


def test_every_drawn_name_splits_back_into_its_parts(draw):
    _, family, middle, given_ = draw
    for parts in set(zip(family.tolist(), middle.tolist(), given_.tolist(), strict=True)):
        assert split_full_name(join_full(*parts)) == parts


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300))
def test_drawn_names_round_trip(seed, n):
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["1", "2"]), size=n)
    region = rng.choice(np.array(["N", "C", "S"]), size=n)
    family, middle, given_ = draw_names(rng, sex, region)
    full = join_full(family, middle, given_)
    assert [split_full_name(f) for f in full] == list(zip(family, middle, given_, strict=True))


def _visible_words(text: str) -> list[str]:
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", kept).split()


@settings(max_examples=300)
@given(
    st.text(max_size=40) | st.lists(st.sampled_from(["Tôn", "Nữ", "Âu", " ", "Lê"])).map("".join)
)
def test_split_keeps_every_word_in_order_and_is_stable(text):
    parts = split_full_name(text)
    assert " ".join(p for p in parts if p).split() == _visible_words(text)
    assert split_full_name(join_full(*parts)) == parts
    assert all(unicodedata.is_normalized("NFC", p) and p == p.strip() for p in parts)
    assert (parts[2] != "") == bool(_visible_words(text))


# --- reporting variations -----------------------------------------------------------------


def test_typo_changes_each_name_once_and_keeps_it_readable(full_names):
    slipped = typo(np.random.default_rng(1), full_names)
    assert is_nfc(slipped) and all(slipped)
    assert (slipped != full_names).all()
    assert [len(s.split()) for s in slipped] == [len(s.split()) for s in full_names]


def test_typo_makes_the_slips_people_make():
    slips = set(typo(np.random.default_rng(2), np.full(3000, "Hương", dtype=object)))
    assert {"Huơng", "Hưong", "Hương", "Huwowng"} & slips == {"Huơng", "Hưong", "Huwowng"}
    assert {"Hướng", "Hường", "Hưởng"} <= slips  # a tone where there was none
    assert {"Hưng", "Hươgn", "Hưương"} <= slips  # dropped, swapped, doubled letters
    tones = set(typo(np.random.default_rng(3), np.full(3000, "Hồng", dtype=object)))
    assert {"Hông", "Hống"} <= tones and "Hồng" not in tones


def test_typo_is_deterministic_and_never_empties_a_short_name():
    names = np.array(["Y", "An", "Lý", "Ư"] * 50, dtype=object)
    first = typo(np.random.default_rng(5), names)
    np.testing.assert_array_equal(first, typo(np.random.default_rng(5), names))
    assert all(first) and is_nfc(first)


@pytest.mark.parametrize(
    ("name", "sex", "variant"),
    [
        ("Hòa", "1", "Hoà"),
        ("Hoà", "2", "Hòa"),
        ("Thủy", "2", "Thuỷ"),
        ("Thúy", "2", "Thuý"),
        ("Khỏe", "1", "Khoẻ"),
        ("Ly", "2", "Li"),
        ("Vy", "2", "Vi"),
        ("Phúc", "1", "Phước"),
        ("THỦY", "2", "THUỶ"),
    ],
)
def test_given_name_variant(name, sex, variant):
    out = given_name_variant(np.random.default_rng(0), np.array([name], dtype=object), [sex])
    assert out.tolist() == [variant]


def test_names_without_a_variant_stay_as_they_are():
    names = np.array(["Lan", "Hùng", "Vy", "Quý"], dtype=object)
    out = given_name_variant(np.random.default_rng(0), names, np.array(["2", "1", "1", "1"]))
    assert out.tolist() == ["Lan", "Hùng", "Vy", "Quí"]


def test_given_name_variant_of_drawn_names(draw):
    sex, _, _, given_ = draw
    out = given_name_variant(np.random.default_rng(4), given_[:5000], sex[:5000])
    assert is_nfc(out) and all(out)
    changed = out != given_[:5000]
    assert 0 < changed.mean() < 0.3


TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in TONES}
    | set("bcdđghklmnpqrstvx")
)
vietnamese_names = st.lists(
    st.lists(st.sampled_from(LETTERS + [c.upper() for c in LETTERS]), min_size=1, max_size=7).map(
        "".join
    ),
    min_size=1,
    max_size=5,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(vietnamese_names, min_size=1, max_size=5), st.integers(0, 2**16))
def test_variations_keep_nfc_and_never_empty(names, seed):
    values = np.array(names, dtype=object)
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["1", "2"]), size=values.size)
    for out in (typo(rng, values), given_name_variant(rng, values, sex)):
        assert out.shape == values.shape and out.dtype == object
        assert all(out) and is_nfc(out)
    assert (typo(rng, values) != values).all()


def test_variations_of_an_empty_array_are_empty():
    empty = np.array([], dtype=object)
    rng = np.random.default_rng(0)
    for out in (typo(rng, empty), given_name_variant(rng, empty, np.array([], dtype=object))):
        assert out.shape == (0,) and out.dtype == object


# --- the Vietnamese text helpers the variations use -----------------------------------------


def test_text_helpers():
    assert tone_placement("Nguyễn Thị Thủy Hòa", "new") == "Nguyễn Thị Thuỷ Hoà"
    assert tone_placement("Thuỵ Quý Hoàn", "old") == "Thụy Quý Hoàn"
    assert telex_keystrokes("Nguyễn") == "Nguyeenx" and telex_keystrokes("ĐỨC") == "DDUWCS"
    assert [tone_position(w) for w in ("Hương", "hoa", "gia", "Lan", "Quy")] == [2, 1, 2, 1, 2]


def test_report_ascii_expression_agrees_with_the_text_helper(full_names):
    """The report builder strips diacritics in Polars, for speed; it must give what
    oncoreg.text.strip_diacritics gives."""
    import polars as pl

    from oncoreg.synth.fields import ascii_text
    from oncoreg.text import strip_diacritics

    names = list(full_names[:2000]) + ["ĐẶNG Văn Ước", "Lưu Thị Ngọc Ánh"]
    frame = pl.DataFrame({"n": names})
    assert frame.select(ascii_text(pl.col("n")))["n"].to_list() == [
        strip_diacritics(n) for n in names
    ]
