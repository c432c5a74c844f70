"""Text helpers for Vietnamese names (provinces, facilities, people).

Hospital files write the same name in many ways: with or without diacritics, in NFC or
NFD, upper or lower case, ``Đ`` or ``D``, with stray spaces. :func:`fold_vietnamese`
reduces all of them to one comparison key. Keys are for matching only: store and show
names as written (in NFC), never the folded key.
"""

from __future__ import annotations

import unicodedata

# "đ" has no decomposition in Unicode, so stripping combining marks leaves it; "ð"
# (U+00F0, Icelandic eth) stands in for it in text converted from legacy VNI/TCVN3 fonts.
_LETTER_D = str.maketrans({"đ": "d", "ð": "d"})


def fold_vietnamese(text: str) -> str:
    """Fold a Vietnamese text to a comparison key.

    The steps: Unicode NFC, lower case, diacritics removed (every combining mark of the
    NFD form is dropped, so tone marks and the vowel marks of ``ă â ê ô ơ ư`` go),
    ``đ`` (and the look-alike ``ð``) becomes ``d``, and runs of whitespace collapse to one
    space with none at either end. Punctuation is kept. A Vietnamese name folds to plain
    ASCII, and folding is idempotent: ``fold_vietnamese(fold_vietnamese(s)) ==
    fold_vietnamese(s)`` for every string.

    Args:
        text: Any text, in any Unicode normalisation form.

    Returns:
        The folded key, e.g. ``"thanh pho ho chi minh"`` for ``"Thành phố  Hồ Chí Minh"``
        and ``"dak lak"`` for ``"ĐẮK LẮK"``.
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = unicodedata.normalize("NFC", bare).lower().translate(_LETTER_D)
    return " ".join(bare.split())
