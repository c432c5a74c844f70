"""fold_vietnamese: the comparison key for Vietnamese names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncoreg.text import fold_vietnamese

# Combining tone marks of Vietnamese: grave, acute, tilde, hook above, dot below.
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
VOWELS = "aăâeêioôơuưy"
CONSONANTS = "bcdđghklmnpqrstvx"
VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | set(CONSONANTS)
)

SEPARATORS = [" ", "  ", "\t", "-", "\n"]

# Words of Vietnamese letters in either case, separated by runs of whitespace or hyphens.
vietnamese_text = st.lists(
    st.sampled_from(VIETNAMESE_LETTERS + [ch.upper() for ch in VIETNAMESE_LETTERS])
    | st.sampled_from(SEPARATORS),
    max_size=40,
).map("".join)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thành phố  Hồ Chí Minh", "thanh pho ho chi minh"),
        ("ĐẮK LẮK", "dak lak"),
        ("Đắk Nông", "dak nong"),
        ("  Bà Rịa - Vũng Tàu\t", "ba ria - vung tau"),
        ("Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet"),
        ("Thừa Thiên\nHuế", "thua thien hue"),
        ("ăâêôơưđ ĂÂÊÔƠƯĐ", "aaeooud aaeooud"),
        ("Ðà Nẵng", "da nang"),  # U+00D0 eth, a legacy-font stand-in for Đ
        ("Hoà Bình", "hoa binh"),
        ("Hòa Bình", "hoa binh"),
        ("", ""),
        ("Ha Noi", "ha noi"),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert fold_vietnamese(text) == expected


def test_nfd_and_nfc_fold_alike() -> None:
    name = "Thành phố Hồ Chí Minh"
    assert fold_vietnamese(unicodedata.normalize("NFD", name)) == fold_vietnamese(name)


def test_every_vietnamese_letter_folds_to_one_ascii_letter() -> None:
    for letter in VIETNAMESE_LETTERS:
        folded = fold_vietnamese(letter)
        assert len(folded) == 1 and folded.isascii() and folded.isalpha(), letter
        assert fold_vietnamese(letter.upper()) == folded


@given(st.text())
def test_idempotent_on_any_text(text: str) -> None:
    once = fold_vietnamese(text)
    assert fold_vietnamese(once) == once


@given(st.text())
def test_canonical_normalisation_form_does_not_matter(text: str) -> None:
    expected = fold_vietnamese(text)
    assert fold_vietnamese(unicodedata.normalize("NFD", text)) == expected
    assert fold_vietnamese(unicodedata.normalize("NFC", text)) == expected


@given(vietnamese_text)
def test_vietnamese_text_folds_to_lowercase_ascii(text: str) -> None:
    folded = fold_vietnamese(text)
    assert folded.isascii()
    assert folded == folded.lower()
    assert folded == folded.strip() and "  " not in folded
    assert fold_vietnamese(text.upper()) == folded


# --- name_key: how a name was typed does not matter ------------------------------------


def _name_words() -> list[str]:
    from importlib import resources

    text = (resources.files("oncoreg.synth") / "data" / "vn_names.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return sorted({word for row in rows[1:] for word in row[2].split()})


def test_telex_keystrokes_read_back_for_every_name_word() -> None:
    from oncoreg.text import name_key, telex_keystrokes

    words = _name_words()
    assert len(words) > 200
    wrong = [w for w in words if name_key(telex_keystrokes(w)) != name_key(w)]
    assert wrong == []


@pytest.mark.parametrize(
    ("a", "b"),
    [("Lý", "Lí"), ("Quý", "QUÍ"), ("Mỹ", "mĩ"), ("Nguyeenx", "Nguyễn"), ("truwowngf", "Trương")],
)
def test_spelling_variants_share_a_key(a: str, b: str) -> None:
    from oncoreg.text import name_key

    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"), [("Huy", "Hui"), ("Thùy", "Thùi"), ("Hải", "Hảy"), ("Sơn", "Sơ")]
)
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    from oncoreg.text import name_key

    assert name_key(a) != name_key(b)


@given(st.text(max_size=40))
def test_name_key_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    from oncoreg.text import name_key

    assert name_key(name_key(text)) == name_key(text)
