"""Person linkage: the Splink model (Fellegi-Sunter, EM-trained m, sampled u, term
frequencies) with Vietnamese-aware comparisons and blocking rules.

The comparisons read the columns of :func:`oncoreg.link.features.linkage_frame`:

- **name**, one comparison over the whole name so that parts written in another order or
  merged are not counted twice against a pair: the name with marks, the folded name, family
  and given name (middle name left out, it carries little), the same words in another
  order or run together, one typo in the given or in the family name, then the given name
  alone. Exact levels are adjusted by the name's frequency (``Nguyễn Văn Hùng`` is common),
  and folded names that agree only once marks are dropped while both reports carry marks
  (``Hùng`` against ``Hưng``) form a level of their own;
- **birth**: exact date, day and month swapped, same year and month, same year where one
  report knows only the year, same year, a year apart or consistent with the age at
  diagnosis;
- **national ID** and **insurance number** hashes (agreement near-decisive, disagreement
  strong evidence against, missing neutral), **sex**, **province** (old code, then the
  post-2025 province), **phone**, **address**;
- **site** and **diagnosis month** of the reported tumour (the same cancer reported by
  several hospitals), which EM weighs like the rest.

Blocking keeps every comparison set near-linear in the number of reports: pairs agreeing on
an identifier hash or phone, or on name keys together with a birth year, birth date,
province or site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

# Match probability at or above which a pair links automatically, and the lower edge of
# the band of pairs a registrar reviews.
MATCH_THRESHOLD = 0.95
REVIEW_THRESHOLD = 0.5


MARKS_DIFFER = "has_marks_l = 1 AND has_marks_r = 1 AND given_marked_l <> given_marked_r"


def _level(sql: str, label: str, tf: str | None = None, null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf:
        # the level's own u is the baseline of its frequency adjustment
        level |= {
            "tf_adjustment_column": tf,
            "tf_adjustment_weight": 1.0,
            "disable_tf_exact_match_detection": True,
        }
    if null:
        level["is_null_level"] = True
    return level


def _eq(column: str) -> str:
    return f"{column}_l = {column}_r"


def name_comparison() -> cl.CustomComparison:
    """The whole name, Vietnamese-aware (see the module docstring)."""
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="Vietnamese name, with and without marks",
        comparison_levels=[
            _level("name_l IS NULL OR name_r IS NULL", "name missing", null=True),
            _level(
                _eq("name_marked") + " AND has_marks_l = 1 AND has_marks_r = 1",
                "same name with marks",
                tf="name_marked",
            ),
            _level(
                _eq("name") + f" AND NOT ({MARKS_DIFFER})",
                "same name without marks",
                tf="name",
            ),
            _level(_eq("family_given"), "same family and given name", tf="family_given"),
            _level(
                _eq("name_sorted") + " OR " + _eq("name_joined"),
                "same words, other order or run together",
                tf="name_sorted",
            ),
            _level(_eq("name"), "same name once marks are dropped, marks differ"),
            cll.And(cll.ExactMatchLevel("family"), cll.JaroWinklerLevel("given", 0.88)).configure(
                label_for_charts="family same, given one typo away"
            ),
            cll.And(cll.ExactMatchLevel("given"), cll.JaroWinklerLevel("family", 0.85)).configure(
                label_for_charts="given same, family one typo away"
            ),
            cll.ExactMatchLevel("given").configure(label_for_charts="given name only"),
            cll.ElseLevel(),
        ],
    )


def birth_comparison() -> cl.CustomComparison:
    """Date of birth by its precision, with the age at diagnosis as a fallback."""
    both_years = "dob_y_l IS NOT NULL AND dob_y_r IS NOT NULL"
    return cl.CustomComparison(
        output_column_name="birth",
        comparison_description="date of birth or birth year from age",
        comparison_levels=[
            _level("birth_year_l IS NULL OR birth_year_r IS NULL", "birth unknown", null=True),
            _level(_eq("dob"), "same date of birth"),
            _level(
                f"{_eq('dob_y')} AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r",
                "day and month swapped",
            ),
            _level(f"{_eq('dob_y')} AND {_eq('dob_m')}", "same year and month"),
            _level(
                f"{_eq('dob_y')} AND (dob_m_l IS NULL OR dob_m_r IS NULL)",
                "same year, one knows only the year",
            ),
            _level(f"{both_years} AND {_eq('dob_y')}", "same year, month or day differ"),
            _level("abs(birth_year_l - birth_year_r) <= 1", "birth year within one (or age)"),
            cll.ElseLevel(),
        ],
    )


def _identifier(column: str, label: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            _level(_eq(column), f"same {label}"),
            cll.ElseLevel(),
        ],
    )


def province_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="province",
        comparison_levels=[
            _level("province_l IS NULL OR province_r IS NULL", "province unknown", null=True),
            _level(_eq("province_old"), "same province (pre-2025 code)"),
            _level(_eq("province"), "same province after the 2025 merger"),
            cll.ElseLevel(),
        ],
    )


def diagnosis_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="diagnosis",
        comparison_levels=[
            cll.NullLevel("diagnosis_month"),
            _level("abs(diagnosis_month_l - diagnosis_month_r) <= 2", "diagnosed within 2 months"),
            _level(
                "(dco_l = 1 AND diagnosis_month_r <= diagnosis_month_l) OR "
                "(dco_r = 1 AND diagnosis_month_l <= diagnosis_month_r)",
                "death certificate after the other's diagnosis",
            ),
            _level("abs(diagnosis_month_l - diagnosis_month_r) <= 12", "within a year"),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list:
    return [
        name_comparison(),
        birth_comparison(),
        _identifier("nid", "national ID"),
        _identifier("ins", "insurance number"),
        cl.ExactMatch("sex"),
        province_comparison(),
        _identifier("phone", "phone"),
        _identifier("address", "address"),
        _identifier("site", "site (3-character topography)"),
        diagnosis_comparison(),
    ]


# Blocking keys: pairs agreeing on all columns of one key are compared. Each is
# near-linear in the number of reports (about 24 million comparisons for a million
# synthetic reports); together they keep over 99.5% of true pairs (bench/linkage.py).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("nid",),
    ("ins",),
    ("phone",),
    # two-year bands offset by one: birth years a year apart share one of the two
    ("name", "birth_band"),
    ("name", "birth_band_odd"),
    ("family_given", "birth_band", "province"),
    ("given", "dob"),
    ("family", "dob", "sex"),
    ("name_sorted", "birth_year"),
    ("name_joined", "birth_year"),
    ("dob", "sex", "province"),
    ("given", "birth_year", "site", "province"),
    ("family", "middle", "birth_year", "site", "province"),
    ("family_given", "province", "site"),
)


def blocking_rules() -> list:
    """Splink blocking rules from :data:`BLOCKING_KEYS`."""
    return [block_on(*key) for key in BLOCKING_KEYS]


def training_rules() -> list:
    """EM sessions: each leaves out the fields it blocks on, together covering all."""
    return [
        block_on("dob", "province"),
        block_on("family_given", "birth_year", "province"),
        block_on("nid"),
    ]


@dataclass(frozen=True)
class ModelSettings:
    """Thresholds of a linkage run."""

    match_threshold: float = MATCH_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD


def settings() -> SettingsCreator:
    """The untrained Splink settings of oncoreg's person linkage."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )
