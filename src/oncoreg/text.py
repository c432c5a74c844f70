"""Text helpers for Vietnamese names (provinces, facilities, people).

Hospital files write the same name in many ways: with or without diacritics, in NFC or
NFD, upper or lower case, ``Đ`` or ``D``, with stray spaces. :func:`fold_vietnamese`
reduces all of them to one comparison key. Keys are for matching only: store and show
names as written (in NFC), never the folded key.
"""

from __future__ import annotations

import re
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


# Combining marks of the five marked Vietnamese tones (the level tone has none):
# huyền (grave), sắc (acute), ngã (tilde), hỏi (hook above), nặng (dot below).
TONE_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")

_LETTER_D_CASED = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})

# Rhymes whose tone mark sits on the first vowel in the old orthography (hòa, thủy, khỏe)
# and on the second in the new one (hoà, thuỷ, khoẻ). Only when nothing follows them.
_MOVABLE_RHYMES = ("oa", "oe", "uy")


def strip_diacritics(text: str) -> str:
    """Remove tone and vowel marks, keeping case, spacing and punctuation.

    Unlike :func:`fold_vietnamese`, this is for showing or storing a name as an ASCII-only
    system would (``"Nguyễn Thị Hồng"`` -> ``"Nguyen Thi Hong"``), not a comparison key.

    Args:
        text: Any text, in any Unicode normalisation form.

    Returns:
        The text in NFC without combining marks, ``đ``/``Đ`` as ``d``/``D``; a Vietnamese
        text becomes plain ASCII.
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.translate(_LETTER_D_CASED))


def split_tone(letter: str) -> tuple[str, str]:
    """Separate a letter's tone mark from the letter.

    Args:
        letter: One letter (any normalisation form), e.g. ``"ồ"``.

    Returns:
        The letter without its tone (NFC, vowel marks kept) and the combining tone mark,
        or ``""`` if it has none: ``("ô", "\\u0300")`` for ``"ồ"``.
    """
    decomposed = unicodedata.normalize("NFD", letter)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    base = "".join(ch for ch in decomposed if ch not in TONE_MARKS)
    return unicodedata.normalize("NFC", base), (tones[0] if tones else "")


def with_tone(letter: str, tone: str) -> str:
    """A letter with its tone mark replaced.

    Args:
        letter: One letter, e.g. ``"ồ"``.
        tone: One of :data:`TONE_MARKS`, or ``""`` for the level tone.

    Returns:
        The letter in NFC, e.g. ``"ố"`` for ``("ồ", "\\u0301")``.
    """
    base, _ = split_tone(letter)
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", base) + tone)


def tone_placement(text: str, style: str) -> str:
    """Write the tone marks of ``oa``, ``oe`` and ``uy`` syllables in one orthography.

    Both styles are correct and both are in use: the old one marks the first vowel
    (``Hòa``, ``Thủy``, ``Khỏe``), the new one the second (``Hoà``, ``Thuỷ``, ``Khoẻ``).
    Syllables with a final consonant (``Hoàn``) or ``qu`` (``Quý``) are the same in both
    and are left alone, as is every other syllable.

    Args:
        text: Any text; words are runs of letters.
        style: ``"old"`` or ``"new"``.

    Returns:
        The text in NFC with the movable tone marks placed in that style.

    Raises:
        ValueError: ``style`` is neither ``"old"`` nor ``"new"``.
    """
    if style not in ("old", "new"):
        raise ValueError(f"style must be 'old' or 'new', not {style!r}")
    target = -2 if style == "old" else -1
    words = re.split(r"(\W+)", unicodedata.normalize("NFC", text))
    return "".join(_place_tone(word, target) for word in words)


def _place_tone(word: str, target: int) -> str:
    if len(word) < 2:
        return word
    (first, tone1), (second, tone2) = split_tone(word[-2]), split_tone(word[-1])
    rhyme = (first + second).lower()
    before = word[-3].lower() if len(word) > 2 else ""
    if rhyme not in _MOVABLE_RHYMES or not (tone1 or tone2) or (rhyme == "uy" and before == "q"):
        return word
    if before and strip_diacritics(before) in "aeiouy":
        return word
    pair = [first, second]
    pair[target] = with_tone(pair[target], tone1 or tone2)
    return word[:-2] + "".join(pair)


_VOWELS = "aăâeêioôơuưy"
_TELEX_LETTERS = {"â": "aa", "ă": "aw", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw", "đ": "dd"}
_TELEX_TONES = dict(zip(TONE_MARKS, "fsxrj", strict=True))


def tone_position(word: str) -> int | None:
    """Where a syllable carries (or would carry) its tone mark, by a simplified rule.

    The rule: a vowel with a vowel mark (``ă â ê ô ơ ư``; the last one, as in ``ươ``) takes
    it; else, after leaving out the ``u`` of ``qu`` and the ``i`` of ``gi``, the last vowel
    of a closed syllable or a lone vowel; else the second-last vowel (old style: ``hòa``).

    Args:
        word: One syllable, e.g. ``"Hương"``.

    Returns:
        The index of the letter, e.g. ``2`` (the ``ơ``) for ``"Hương"``; ``None`` without a vowel.
    """
    bare = [split_tone(ch)[0].lower() for ch in word]
    vowels = [i for i, ch in enumerate(bare) if ch in _VOWELS]
    if bare[:2] in (["q", "u"], ["g", "i"]) and len(vowels) > 1:
        vowels = vowels[1:]
    if not vowels:
        return None
    marked = [i for i in vowels if bare[i] in "ăâêôơư"]
    if marked:
        return marked[-1]
    closed = vowels[-1] < len(word) - 1
    return vowels[-1] if closed or len(vowels) == 1 else vowels[-2]


def telex_keystrokes(word: str) -> str:
    """The keys that type a word with the Telex input method: ``Nguyễn`` -> ``Nguyeenx``.

    What a record holds when the word was typed with the Vietnamese input method off.
    Letters keep their case; the tone key goes last (in capitals for an all-capital word).

    Args:
        word: One word.

    Returns:
        The keystrokes, plain ASCII for a Vietnamese word.
    """
    keys, tone = [], ""
    for ch in word:
        base, mark = split_tone(ch)
        tone = tone or mark
        typed = _TELEX_LETTERS.get(base.lower(), base.lower())
        keys.append(typed.upper() if base.isupper() else typed)
    tone_key = _TELEX_TONES.get(tone, "")
    return "".join(keys) + (tone_key.upper() if word.isupper() else tone_key)


# Letters a folded Vietnamese word never has after a vowel: a Telex tone key (f s r x j, and
# z that clears a tone) typed with the input method off.
_TONE_KEY_AFTER_VOWEL = re.compile(r"(?<=[aeiouy])[fsrxjz]")
_TONE_KEY_AT_END = re.compile(r"(?<=[a-z])[fsrxjz]$")
_TELEX_VOWELS = (
    ("aa", "a"),
    ("ee", "e"),
    ("oo", "o"),
    ("dd", "d"),
    ("aw", "a"),
    ("uw", "u"),
    ("ow", "o"),
)
_FINAL_Y = re.compile(r"(?<=[bcdghklmnprstvx])y$|(?<=qu)y$")


def name_key(text: str) -> str:
    """A comparison key for a Vietnamese name that forgives how it was typed.

    :func:`fold_vietnamese` first, then, word by word:

    - Telex keystrokes left in by an input method that was off are read back
      (``Nguyeenx`` -> ``nguyen``, ``truwowng`` -> ``truong``, ``manhj`` -> ``manh``): a tone
      key (``f s r x j``) after a vowel or ending the word, doubled vowels and ``dd``, and
      the ``w`` of ``aw ow uw``. Folded Vietnamese never has these, so a correctly written
      name is unchanged;
    - a final ``y`` after a consonant is written ``i``, as the 1980s spelling reform allows
      both (``Lý`` = ``Lí``, ``Quý`` = ``Quí``, ``Mỹ`` = ``Mĩ``); ``uy`` (``Huy``, ``Thùy``)
      and ``ay`` stay as they are.

    Args:
        text: A name or name part as written.

    Returns:
        The key, plain ASCII lower case; ``name_key(name_key(s)) == name_key(s)``.
    """
    return " ".join(_word_key(word) for word in fold_vietnamese(text).split())


def _word_key(word: str) -> str:
    """Read one folded word back until nothing changes (so that keys are fixed points)."""
    while True:
        key = _word_key_once(word)
        if key == word:
            return key
        word = key


def _word_key_once(word: str) -> str:
    if not word.isalpha():
        return word
    for _ in range(2):  # a tone key may sit before a final consonant: "vieejt"
        word = _TONE_KEY_AFTER_VOWEL.sub("", word, count=1)
    if len(word) > 1:
        word = _TONE_KEY_AT_END.sub("", word)
    for typed, letter in _TELEX_VOWELS:
        word = word.replace(typed, letter)
    word = word.replace("w", "u")
    return _FINAL_Y.sub("i", word)


# Family names of more than one word (as folded keys), longest first.
COMPOUND_FAMILY_NAMES = (
    ("cong", "huyen", "ton", "nu"),
    ("cong", "tang", "ton", "nu"),
    ("au", "duong"),
    ("ton", "nu"),
    ("ton", "that"),
)


def split_full_name(full: str) -> tuple[str, str, str]:
    """Split a full name into (family, middle, given).

    The name is read family first, as Vietnamese names are written: the first word is the
    family name (or the first words, for a compound family name such as ``Tôn Nữ``,
    ``Tôn Thất``, ``Âu Dương``, ``Công Tằng Tôn Nữ``, recognised with or without
    diacritics), the last word is the given name, and everything between is the middle
    name. A single word is a given name only. The text is NFC-normalised, invisible format
    characters (zero-width spaces, BOM) dropped and runs of whitespace collapsed; case and
    diacritics are kept as written. ``split_full_name(join_full(f, m, g)) == (f, m, g)``
    for every name :func:`draw_names` makes.

    Args:
        full: A full name as written, e.g. ``"  Nguyễn   Văn  An "``.

    Returns:
        ``(family, middle, given)``, e.g. ``("Nguyễn", "Văn", "An")``; missing parts are
        ``""`` (``("", "", "Lan")`` for ``"Lan"``, all three for a blank text).
    """
    words = _words(full)
    if len(words) < 2:
        return "", "", "".join(words)
    n = _family_length(words)
    return " ".join(words[:n]), " ".join(words[n:-1]), words[-1]


def _words(text: str) -> list[str]:
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", visible).split()


def _family_length(words: list[str]) -> int:
    """How many leading words form the family name (at least one word is left given)."""
    keys = tuple(fold_vietnamese(w) for w in words[:4])
    for compound in COMPOUND_FAMILY_NAMES:
        if len(words) > len(compound) and keys[: len(compound)] == compound:
            return len(compound)
    return 1
