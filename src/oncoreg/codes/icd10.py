"""ICD-O-3 -> ICD-10 conversion, as IARC's conversion program does it.

A tumour coded in ICD-O-3 (topography ``C50.9``, morphology ``8500/3``, optionally the
patient's sex) is converted to the ICD-10 code that reports use (chapter II), following
the rules of IARC's ICD-O-3 -> ICD-10 conversion program (IARCcrgTools; Ferlay et al.,
*Check and conversion programs for cancer registries*, IARC Technical Report 42, 2005)
and the introduction of ICD-O-3:

* the topography gives the ICD-10 code of the same site for the behaviour: malignant
  ``/3`` -> C00-C80, in situ ``/2`` -> D00-D09, benign ``/0`` -> D10-D36, uncertain
  ``/1`` -> D37-D48;
* some morphologies override the site: melanoma of skin -> C43, mesothelioma -> C45,
  Kaposi sarcoma -> C46, sarcomas of skin and of the body regions -> C49, keratinocyte and
  adnexal tumours -> C44 by region, lymphomas, myeloma and leukaemias -> C81-C96 by
  morphology whatever the site, myeloproliferative and myelodysplastic neoplasms ->
  D45-D47; morphologies typical of one organ go to that organ when the site is unknown
  (C80.9), and the liver (C22.0, C22.1) is coded by histology (C22.0-C22.9).

Choices made here (IARC's program is followed unless said otherwise):

* **/6 (metastatic)** converts to the secondary-site code of the topography (C77-C79), as
  ICD-10 intends and IARC's program does; unknown primary gives C80.
* **/9 (uncertain whether primary or metastatic)** converts as /3 (primary). IARC does so
  for 8010/9 and 8800/9; for 8000/9 its program gives no code, we give the primary code.
* **Unknown primary** C80.9 /3 -> ``C80``, the three-character code of IARC's program and
  CI5 (ICD-10 2010+ splits it into C80.0/C80.9; map C80 -> C80.9 there if needed).
* **Solid tumours of C42** (blood, marrow, reticuloendothelial system) -> C80 (site
  unknown), spleen C42.2 -> C26.1; **lymph nodes C77** with a non-lymphoma morphology ->
  C77.x (secondary), as IARC's program does.
* Where IARC's tables give a code that ICD-10 does not have, or the code of a different
  organ, the ICD-10 code is used instead: D22.8/D23.8 -> D22.9/D23.9 (skin, overlapping),
  D48.8 -> D48.7, benign bone tumours of C40-C41 -> D16 (not D21), benign spinal cord
  C72.0 -> D33.4 and cauda equina C72.1 -> D33.7, lipoma of soft tissue of upper limb
  C49.1 -> D17.2 and of thorax C49.3 -> D17.1, secondaries of cerebral meninges -> C79.3
  and of C48.8 -> C78.6; 8300/1 and 8300/2 are not swapped; hepatocellular carcinoma
  variants 8172-8175 of the liver stay C22.0; Klatskin tumour 8161/8162 coded to C24.0
  -> C24.0 and MALT lymphoma 9699/3 of lymph nodes, blood or marrow -> C83.0 (both IARC
  rules of 2014/2015). ``tests/codes/test_icd10.py`` lists every difference from IARC's
  tables with its reason.
* ICD-O-3.2 codes newer than IARC's tables (e.g. 9715, 9819, 9877-9879, 9912, 9968,
  9993) are given the ICD-10 code of their ICD-O-3 parent.

The rules are the project's own table ``data/icd10_rules.tsv`` (see below), written from
ICD-10 and the published rules; it is read on first use and turned into dictionaries, so
a conversion is a dictionary lookup and a scan of a few rules.

Rule table: one row per rule, columns ``morphology`` (codes and ranges ``8720-8723,8725``,
or ``@name`` for a row of a named scheme), ``behaviour`` (``0,1``), ``topography`` (``*``,
categories ``C44``, subsites ``C44.5``, ranges ``C44.1-C44.4`` or ``C53-C55``), ``sex``
(blank, ``M`` or ``F``), ``icd10`` and ``flags`` (``female``/``male``: the morphology
implies that sex). ``icd10`` is a code (``C43.9``), a template whose ``*`` is the subsite
digit (``C43.*``), ``same`` (the topography code), ``cat`` (its category), ``site`` (the
site's code for the behaviour), ``@name`` or ``@name/B`` (a scheme, for behaviour B), or
``-`` (no ICD-10 code). For a tumour, the first matching row of its morphology and
behaviour wins; when none matches, the site's code for the behaviour is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from oncoreg.codes._tables import read_rows, register_cache
from oncoreg.errors import InputError

TABLE = "icd10_rules.tsv"
COLUMNS = ("morphology", "behaviour", "topography", "sex", "icd10", "flags")
BEHAVIOURS = ("0", "1", "2", "3", "6", "9")
SEXES = {1: "M", 2: "F"}
SITE_SCHEME = "site"

_SUBSITE_RE = re.compile(r"C\d\d\.\d")
_CATEGORY_RE = re.compile(r"C\d\d")
_HISTOLOGY_RE = re.compile(r"\d{4}")
_CODE_RE = re.compile(r"[A-Z]\d\d(\.[\d*])?")
_KEYWORDS = ("same", "cat", "site", "-")
_ALL_SUBSITES = tuple(f"C{c:02d}.{d}" for c in range(81) for d in range(10))


@dataclass(frozen=True)
class Icd10Result:
    """The ICD-10 code of a tumour, with notes on the conversion.

    Attributes:
        code: the ICD-10 code, ``C50.9`` (four characters with a dot) or ``C61`` (a
            category without a fourth character); None when there is none (see flags).
        flags: short notes, in this order when present: ``rare-combination`` (the
            morphology/behaviour pair is not listed in ICD-O-3.2), ``sex-required`` (the
            code depends on sex, which was not given), ``sex-conflict`` (the morphology
            implies the other sex), ``no-icd10`` (ICD-10 has no code for this combination,
            e.g. a sarcoma in situ), ``secondary`` (a C77-C79 code), ``not-neoplasm`` (a
            code outside chapter II, e.g. N40, O01.9, Q30.9).
    """

    code: str | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Rule:
    """One compiled rule: where it applies and what it gives."""

    sites: frozenset[str] | None
    sex: str
    target: str
    site_behaviour: str  # whose site codes ``site`` means
    implies_sex: str
    rows: tuple[int, ...]  # the table rows it comes from (and its scheme row)

    def applies(self, topography: str, sex: str) -> bool:
        if self.sex and self.sex != sex:
            return False
        return self.sites is None or topography in self.sites


@dataclass(frozen=True)
class _Rules:
    """The rule table compiled for lookups."""

    chains: dict[tuple[str, str], tuple[_Rule, ...]]
    site_codes: dict[tuple[str, str], str]


def to_icd10(topography: str, morphology: str, sex: int | None = None) -> Icd10Result:
    """Convert an ICD-O-3 tumour to ICD-10, as IARC's conversion program does.

    Args:
        topography: the ICD-O-3 subsite, e.g. ``C50.9`` (spellings accepted by
            :func:`oncoreg.codes.topography.normalise_topography`).
        morphology: histology and behaviour, e.g. ``8500/3``.
        sex: 1 male, 2 female; None (or 9) when unknown.

    Returns:
        The ICD-10 code and the conversion's flags (see :class:`Icd10Result`).

    Raises:
        InputError: malformed codes, a topography category instead of a subsite, a
            topography not in the table, or a sex code other than 1, 2, 9.

    Examples:
        >>> to_icd10("C44.5", "8720/3").code
        'C43.5'
        >>> to_icd10("C61.9", "8140/3").code
        'C61'
    """
    site = _subsite(topography)
    histology, behaviour = _split(morphology)
    sex_code = _sex(sex)
    code, flags = _convert(_rules(), site, histology, behaviour, sex_code)
    if f"{histology}/{behaviour}" not in _listed_morphologies():
        flags = ("rare-combination", *flags)
    return Icd10Result(code, _with_code_flags(code, flags))


def _subsite(value: str) -> str:
    from oncoreg.codes.topography import normalise_topography

    code = normalise_topography(value)
    if len(code) != 5:
        raise InputError(
            f"{value!r} is a topography category; ICD-10 conversion needs a subsite",
            hint=f"give the subsite, e.g. {code}.9",
        )
    return code


def _split(value: str) -> tuple[str, str]:
    from oncoreg.codes.morphology import split_morphology

    histology, behaviour, _grade = split_morphology(value)
    return histology, behaviour


def _sex(value: int | None) -> str:
    if value is None or value == 9:
        return ""
    if value in SEXES:
        return SEXES[value]
    raise InputError(f"{value!r} is not a sex code", hint="use 1 (male), 2 (female) or 9")


@register_cache
def _listed_morphologies() -> frozenset[str]:
    from oncoreg.codes.morphology import morphology_table

    return frozenset(morphology_table())


def _convert(
    rules: _Rules, site: str, histology: str, behaviour: str, sex: str
) -> tuple[str | None, tuple[str, ...]]:
    chain = rules.chains.get((histology, behaviour), ())
    if sex or not any(rule.sex for rule in chain):
        return _apply(rules, chain, site, behaviour, sex)
    male, _ = _apply(rules, chain, site, behaviour, "M")
    female, _ = _apply(rules, chain, site, behaviour, "F")
    return (male, ()) if male == female else (None, ("sex-required",))


def _apply(
    rules: _Rules, chain: tuple[_Rule, ...], site: str, behaviour: str, sex: str
) -> tuple[str | None, tuple[str, ...]]:
    implied = next((rule.implies_sex for rule in chain if rule.sites is None), "")
    for rule in chain:
        if rule.applies(site, sex):
            code = _resolve(rules, rule.target, rule.site_behaviour, site)
            implied = rule.implies_sex or implied
            break
    else:
        code = _resolve(rules, "site", _site_behaviour(behaviour), site)
    conflict = bool(sex and implied and implied != sex)
    return code, ("sex-conflict",) if conflict else ()


def _resolve(rules: _Rules, target: str, behaviour: str, site: str) -> str | None:
    if target == "site":
        return rules.site_codes.get((site, behaviour))
    return _fill(target, site)


def _fill(target: str, site: str) -> str | None:
    if target == "-":
        return None
    if target == "same":
        return site
    if target == "cat":
        return site[:3]
    return target.replace("*", site[4])


def _with_code_flags(code: str | None, flags: tuple[str, ...]) -> tuple[str, ...]:
    out = list(flags)
    if code is None and "sex-required" not in out:
        out.append("no-icd10")
    elif code is not None and "C77" <= code[:3] <= "C79":
        out.append("secondary")
    elif code is not None and code[0] not in "CD":
        out.append("not-neoplasm")
    return tuple(out)


def _site_behaviour(behaviour: str) -> str:
    """The behaviour whose site codes a behaviour uses: /9 converts as /3."""
    return "3" if behaviour == "9" else behaviour


# --- the rule table -------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    morphology: str
    behaviours: tuple[str, ...]
    sites: frozenset[str] | None
    sex: str
    target: str
    implies_sex: str


@register_cache
def _rules() -> _Rules:
    """The rule table, checked and compiled into per-morphology chains."""
    rows, source = read_rows(TABLE, COLUMNS)
    parsed = [_parse_row(row, number, source.path) for number, row in enumerate(rows, 2)]
    schemes: dict[str, list[_Row]] = {}
    for row in parsed:
        if row.morphology.startswith("@"):
            schemes.setdefault(row.morphology[1:], []).append(row)
    if SITE_SCHEME not in schemes:
        raise InputError(f"{source.path}: no @{SITE_SCHEME} rows", hint="the site table is needed")
    _check_schemes(parsed, schemes, source.path)
    site_codes = _site_codes(schemes[SITE_SCHEME])
    chains = _chains([r for r in parsed if not r.morphology.startswith("@")], schemes)
    return _Rules(chains, site_codes)


def _parse_row(row: dict[str, str], number: int, origin: str) -> _Row:
    fail = partial(_row_error, origin, number)
    morphology = row["morphology"]
    if not morphology.startswith("@"):
        _histologies(morphology, fail)
    behaviours = tuple(b.strip() for b in row["behaviour"].split(","))
    if not behaviours or any(b not in BEHAVIOURS for b in behaviours):
        fail(f"behaviour {row['behaviour']!r}")
    sex, target = row["sex"], row["icd10"]
    if sex not in ("", "M", "F"):
        fail(f"sex {sex!r}")
    if not (target in _KEYWORDS or target.startswith("@") or _CODE_RE.fullmatch(target)):
        fail(f"icd10 {target!r}")
    implies = {"": "", "female": "F", "male": "M"}.get(row["flags"])
    if implies is None:
        fail(f"flags {row['flags']!r}")
    sites = _sites(row["topography"], fail)
    return _Row(number, morphology, behaviours, sites, sex, target, implies)


def _row_error(origin: str, number: int, what: str) -> None:
    raise InputError(
        f"{origin}, row {number}: cannot read {what}",
        hint="see the rule-table format in the oncoreg.codes.icd10 docstring",
    )


def _histologies(spec: str, fail) -> list[str]:
    out: list[str] = []
    for item in spec.split(","):
        low, _, high = item.strip().partition("-")
        high = high or low
        if not (_HISTOLOGY_RE.fullmatch(low) and _HISTOLOGY_RE.fullmatch(high)) or low > high:
            fail(f"morphology {spec!r}")
        out.extend(f"{h:04d}" for h in range(int(low), int(high) + 1))
    return out


def _sites(spec: str, fail) -> frozenset[str] | None:
    if spec == "*":
        return None
    out: set[str] = set()
    for item in spec.split(","):
        low, _, high = item.strip().partition("-")
        high = high or low
        if _SUBSITE_RE.fullmatch(low) and _SUBSITE_RE.fullmatch(high):
            out.update(s for s in _ALL_SUBSITES if low <= s <= high)
        elif _CATEGORY_RE.fullmatch(low) and _CATEGORY_RE.fullmatch(high):
            out.update(s for s in _ALL_SUBSITES if low <= s[:3] <= high)
        else:
            fail(f"topography {spec!r}")
    return frozenset(out)


def _check_schemes(rows: list[_Row], schemes: dict[str, list[_Row]], origin: str) -> None:
    for row in rows:
        name, behaviour = _scheme_ref(row.target)
        if name and name not in schemes:
            _row_error(origin, row.number, f"scheme @{name} (not defined)")
        if behaviour and behaviour not in BEHAVIOURS:
            _row_error(origin, row.number, f"scheme behaviour in {row.target!r}")
        if name and row.morphology.startswith("@"):
            _row_error(origin, row.number, "a scheme that refers to a scheme")
        if row.target == "site" and row.morphology == f"@{SITE_SCHEME}":
            _row_error(origin, row.number, "a site-table row that refers to the site table")


def _scheme_ref(target: str) -> tuple[str, str]:
    if not target.startswith("@"):
        return "", ""
    name, _, behaviour = target[1:].partition("/")
    return name, behaviour


def _site_codes(rows: list[_Row]) -> dict[tuple[str, str], str]:
    """Each (subsite, behaviour) -> ICD-10 code of the site table (absent: no code)."""
    codes: dict[tuple[str, str], str] = {}
    for behaviour in BEHAVIOURS:
        own = [r for r in rows if behaviour in r.behaviours]
        for site in _ALL_SUBSITES:
            row = next((r for r in own if r.sites is None or site in r.sites), None)
            code = _fill(row.target, site) if row is not None else None
            if code is not None:
                codes[(site, behaviour)] = code
    return codes


def _chains(
    rows: list[_Row], schemes: dict[str, list[_Row]]
) -> dict[tuple[str, str], tuple[_Rule, ...]]:
    """Each (histology, behaviour) -> its rules in table order, schemes expanded."""
    chains: dict[tuple[str, str], list[_Rule]] = {}
    for row in rows:
        compiled = {b: _expand(row, b, schemes) for b in row.behaviours}
        for histology in _histologies(row.morphology, _never):
            for behaviour, rules in compiled.items():
                chains.setdefault((histology, behaviour), []).extend(rules)
    for (histology, behaviour), rules in list(chains.items()):
        if behaviour == "3" and (histology, "9") not in chains:
            chains[(histology, "9")] = rules
    return {key: tuple(rules) for key, rules in chains.items()}


def _expand(row: _Row, behaviour: str, schemes: dict[str, list[_Row]]) -> list[_Rule]:
    name, scheme_behaviour = _scheme_ref(row.target)
    own = _site_behaviour(behaviour)
    if not name:
        return [_Rule(row.sites, row.sex, row.target, own, row.implies_sex, (row.number,))]
    used = scheme_behaviour or own
    rules = [
        _Rule(
            _both(row.sites, s.sites),
            row.sex,
            s.target,
            used,
            row.implies_sex,
            (row.number, s.number),
        )
        for s in schemes[name]
        if used in s.behaviours
    ]
    rules.append(_Rule(row.sites, row.sex, "site", used, row.implies_sex, (row.number,)))
    return rules


def _both(outer: frozenset[str] | None, inner: frozenset[str] | None) -> frozenset[str] | None:
    if outer is None:
        return inner
    return outer if inner is None else outer & inner


def _never(what: str) -> None:  # pragma: no cover - rows were checked when parsed
    raise AssertionError(what)
