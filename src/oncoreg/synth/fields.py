"""The canonical columns of every report, from the truth and the reporter's role.

Works on one frame per chunk of reports that already holds, by gather, the person's true
identity and outcome, the tumour's true codes and the facility's habits. Random draws are
uniform columns ``u0``, ``u1``, ... (NumPy, one matrix per chunk); every rule is a Polars
expression over them, so that the work runs vectorised in Rust. Only the rare name slips
(typos, given-name variants, ID typos) run in Python, on their few rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from oncoreg.ingest.canonical import NAMES
from oncoreg.synth import names

U = 30  # uniform columns per report
SUMMARY = {"0": "0", "I": "1", "II": "2", "III": "2", "IV": "7", "": "9"}
TNM = {
    "0": ("Tis", "N0", "M0"),
    "I": ("T1", "N0", "M0"),
    "II": ("T2", "N0", "M0"),
    "III": ("T3", "N1", "M0"),
    "IV": ("T4", "N2", "M1"),
    "": ("TX", "NX", "MX"),
}
ROLE_TREATS = ("diagnosing", "treating")


def u(i: int) -> pl.Expr:
    return pl.col(f"u{i}")


def ascii_text(expr: pl.Expr) -> pl.Expr:
    """Text as an ASCII-only system stores it: no tone or vowel marks, đ -> d."""
    return (
        expr.str.normalize("NFD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all("đ", "d", literal=True)
        .str.replace_all("Đ", "D", literal=True)
        .str.normalize("NFC")
    )


def ascii_lookup(values: pl.Series) -> pl.Series:
    """``ascii_text`` of each value, worked out once per distinct value.

    Names and addresses repeat a lot, and Unicode normalisation is the costliest step of
    a report; a lookup by value gives the same text for a fraction of the work."""
    distinct = values.unique().drop_nulls()
    table = pl.select(distinct.alias("value"), ascii_text(pl.lit(distinct)).alias("ascii"))
    return values.replace_strict(table["value"], table["ascii"]).alias(f"{values.name}_ascii")


def vocabulary_typos(rng, values: np.ndarray, variants: int = 8) -> list[str]:
    """A typo of each value, drawn from a few typos made once per distinct value.

    Names come from a small vocabulary, so this costs a few hundred typo draws instead of
    one per report, and still varies the slip from report to report.
    """
    uniques = sorted(set(values.tolist()))
    table = {v: names.typo(rng, np.array([v] * variants, dtype=object)) for v in uniques}
    picks = rng.integers(0, variants, values.size)
    return [table[v][k] for v, k in zip(values.tolist(), picks.tolist(), strict=True)]


def _slipped(rng, series: pl.Series, mask: np.ndarray, fn, *extra: pl.Series) -> pl.Series:
    """``series`` with ``fn`` applied (in Python) to the few rows where ``mask`` holds."""
    rows = np.flatnonzero(mask & series.is_not_null().to_numpy())
    out = series.clone()
    if rows.size:
        values = np.asarray(series.gather(rows).to_list(), dtype=object)
        args = [np.asarray(e.gather(rows).to_list(), dtype=object) for e in extra]
        out.scatter(rows, pl.Series(list(fn(rng, values, *args)), dtype=pl.String))
    return out


def _ascii_after_slips(base: pl.DataFrame, f: pl.DataFrame, part: str) -> pl.Series:
    """The ASCII spelling of a name part (``base`` holds it for the true names): looked up
    again only for the names a slip changed."""
    changed = np.flatnonzero((f[part] != base[part]).to_numpy())
    spelt = base[f"{part}_ascii"].clone()
    if changed.size:
        spelt.scatter(changed, ascii_lookup(f[part].gather(changed)))
    return spelt


def slips(rng, f: pl.DataFrame, draws: np.ndarray) -> pl.DataFrame:
    """The rare slips that need Python: name typos and variants, ID typos, new phones."""
    from oncoreg.synth.identity import phones

    given = _slipped(rng, f["given"], draws[:, 0] < 0.025, vocabulary_typos)
    given = _slipped(rng, given, draws[:, 1] < 0.02, names.given_name_variant, f["sex"])
    return f.with_columns(
        given=given,
        family=_slipped(rng, f["family"], draws[:, 2] < 0.01, vocabulary_typos),
        national_id=_slipped(rng, f["national_id"], draws[:, 10] < 0.01, _typo_digits),
        new_phone=phones(rng, f.height),
    )


def name_columns(f: pl.LazyFrame) -> pl.LazyFrame:
    """Names as each facility writes them (ASCII, capitals, middle dropped, one field)."""
    dropped = u(3) < 0.04
    f = f.with_columns(
        middle=pl.when(dropped).then(None).otherwise(pl.col("middle").replace("", None)),
        middle_ascii=pl.when(dropped)
        .then(None)
        .otherwise(pl.col("middle_ascii").replace("", None)),
    )
    parts = ("family", "middle", "given")
    upper = pl.col("upper") | (u(4) < 0.05)

    def written(p: str) -> pl.Expr:
        text = pl.when("ascii").then(pl.col(f"{p}_ascii")).otherwise(pl.col(p))
        return pl.when(upper).then(text.str.to_uppercase()).otherwise(text).alias(p)

    f = f.with_columns([written(p) for p in parts])
    full = pl.concat_str([pl.col(p) for p in parts], separator=" ", ignore_nulls=True)
    return f.with_columns(
        full_name=pl.when("split").then(None).otherwise(full),
        family_name=pl.when("split").then("family"),
        middle_name=pl.when("split").then("middle"),
        given_name=pl.when("split").then("given"),
    )


def _typo_digits(rng, values: np.ndarray) -> list[str]:
    out = []
    for v in values:
        pos = int(rng.integers(0, len(v)))
        out.append(v[:pos] + str((int(v[pos]) + 1) % 10) + v[pos + 1 :])
    return out


def identity_columns(f: pl.LazyFrame) -> pl.LazyFrame:
    """Sex, identifiers, phone, province and address as each facility reports them."""
    id_rate = (
        pl.when(pl.col("role") == "death")
        .then(0.85)
        .when(pl.col("diagnosis").dt.year() >= 2021)
        .then(0.6)
        .otherwise(0.25)
    )
    return f.with_columns(
        sex=pl.when(u(5) < 0.003).then(pl.lit("9")).otherwise("sex"),
        national_id=pl.when(u(9) < id_rate).then("national_id"),
        insurance_no=pl.when(u(11) < 0.5).then("insurance"),
        phone=pl.when(u(13) >= 0.55)
        .then(None)
        .when(u(12) < 0.1)
        .then("new_phone")
        .otherwise("phone"),
        province_code=pl.when(u(14) >= 0.97)
        .then(None)
        .when("codes_2025")
        .then("province_2025")
        .otherwise("province_2004"),
        address=pl.when(u(15) >= 0.7)
        .then(None)
        .when("ascii")
        .then("address_ascii")
        .otherwise("address"),
    )


def _days(expr: pl.Expr) -> pl.Expr:
    return pl.duration(days=expr.floor().cast(pl.Int64))


def _iso(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%Y-%m-%d")


def date_columns(f: pl.LazyFrame) -> pl.LazyFrame:
    """Diagnosis date by role, birth date as reported, age at diagnosis."""
    role = pl.col("role")
    dx = (
        pl.when(role == "treating")
        .then(pl.min_horizontal(pl.col("diagnosis") + _days(u(16) * 31), "last_contact"))
        .when(role == "lab")
        .then(pl.col("diagnosis") - _days(u(16) * 15))
        .when((role == "death") & (pl.col("basis") != "0"))
        .then(None)
        .otherwise("diagnosis")
    )
    f = f.with_columns(report_dx=dx)
    birth = pl.col("birth")
    day, month = birth.dt.day(), birth.dt.month()
    swappable = (day <= 12) & (day != month)
    swapped = pl.date(birth.dt.year(), pl.min_horizontal(day, 12), month)
    shifted = birth.dt.offset_by(pl.when(u(7) < 0.5).then(pl.lit("-1y")).otherwise(pl.lit("1y")))
    draw = u(6)
    shown = (
        pl.when((draw >= 0.18) & (draw < 0.21) & swappable)
        .then(swapped)
        .when((draw >= 0.21) & (draw < 0.23))
        .then(shifted)
        .otherwise(birth)
    )
    text = _iso(shown)
    # a death registration gives the age at death (its incidence date, IARC)
    seen_at = pl.when(role == "death").then(pl.coalesce("death", "diagnosis"))
    age = (
        (pl.coalesce(seen_at, "report_dx", "diagnosis") - birth).dt.total_days() / 365.25
    ).floor()
    return f.with_columns(
        birth_date=pl.when(draw < 0.08)
        .then(text.str.slice(0, 4))
        .when(draw < 0.18)
        .then(None)
        .otherwise(text),
        age_at_diagnosis=pl.when((draw >= 0.08) & (draw < 0.18) | (u(8) < 0.5)).then(
            age.cast(pl.Int64).cast(pl.String)
        ),
        diagnosis_date=_iso(pl.col("report_dx")),
    )


def nos_topography(codes: pl.Series) -> dict[str, str]:
    from oncoreg.codes.topography import is_valid_topography

    out = {}
    for code in codes.unique().drop_nulls().to_list():
        candidate = code[:3] + ".9"
        out[code] = candidate if is_valid_topography(candidate) else code
    return out


def code_columns(f: pl.LazyFrame, nos_sites: dict[str, str]) -> pl.LazyFrame:
    """Topography, morphology, behaviour, grade, basis and laterality by role."""
    role = pl.col("role")
    unspecific = (
        ((role == "treating") & (u(17) < 0.3))
        | ((role == "diagnosing") & (u(17) < 0.1))
        | (role == "death")
    )
    nos_site = pl.col("t_topography").replace_strict(nos_sites, return_dtype=pl.String)
    morph = pl.col("t_morphology")
    solid = morph < "9590"
    vague = (
        (role != "lab") & solid & (u(18) < pl.when(role == "treating").then(0.15).otherwise(0.2))
    )
    nos = pl.when(u(19) < 0.6).then(pl.lit("8000/3")).otherwise(pl.lit("8010/3"))
    morph = pl.when(role == "death").then(pl.lit("8000/3")).when(vague).then(nos).otherwise(morph)
    basis = pl.col("basis")
    return f.with_columns(
        topography=pl.when(unspecific).then(nos_site).otherwise("t_topography"),
        morphology=morph.str.slice(0, 4),
        behaviour=morph.str.slice(5, 1),
        basis=pl.when(role == "lab")
        .then(pl.when(basis.is_in(["6", "7"])).then(pl.lit("7")).otherwise(pl.lit("5")))
        .when(role == "death")
        .then(pl.lit("0"))
        .otherwise(basis),
        grade=pl.when((role == "death") | (pl.col("t_grade") == "9") | (u(20) < 0.2))
        .then(None)
        .otherwise("t_grade"),
        laterality=pl.when(role != "death").then("t_laterality"),
    )


def stage_columns(f: pl.LazyFrame) -> pl.LazyFrame:
    known = pl.col("role").is_in(ROLE_TREATS) & (u(21) < 0.75)
    stage = pl.col("stage")
    tnm = {
        name: {s: v[k] for s, v in TNM.items()}
        for k, name in enumerate(("tnm_t", "tnm_n", "tnm_m"))
    }
    return f.with_columns(
        *[
            pl.when(known)
            .then(stage.replace_strict(m, default=None, return_dtype=pl.String))
            .alias(name)
            for name, m in tnm.items()
        ],
        stage_group=pl.when(known & ~stage.is_in(["", "NA"])).then(stage),
        summary_stage=pl.when(known).then(
            stage.replace_strict(SUMMARY, default=None, return_dtype=pl.String)
        ),
    )


def treatment_columns(f: pl.LazyFrame) -> pl.LazyFrame:
    stage = pl.col("stage")
    p_surgery = (
        pl.when(stage == "I")
        .then(0.85)
        .when(stage == "II")
        .then(0.75)
        .when(stage == "III")
        .then(0.5)
        .when(stage == "IV")
        .then(0.15)
        .otherwise(0.1)
    )
    p_chemo = (
        pl.when(stage.is_in(["III", "IV"])).then(0.6).when(stage == "NA").then(0.85).otherwise(0.3)
    )
    treated = pl.col("role").is_in(ROLE_TREATS)

    def flag(draw: pl.Expr, p) -> pl.Expr:
        return pl.when(treated).then(pl.when(draw < p).then(pl.lit("1")).otherwise(pl.lit("0")))

    f = f.with_columns(
        surgery=flag(u(22), p_surgery),
        radiotherapy=flag(u(23), 0.35),
        chemotherapy=flag(u(24), p_chemo),
        systemic_other=flag(u(25), 0.1),
    )
    any_treatment = treated & ((pl.col("surgery") == "1") | (pl.col("chemotherapy") == "1"))
    first = pl.coalesce("report_dx", "diagnosis") + _days(7 + pl.col("u26") * 54)
    return f.with_columns(first_treatment_date=pl.when(any_treatment).then(_iso(first)))


def outcome_columns(f: pl.LazyFrame, closing: date) -> pl.LazyFrame:
    """Vital status as each facility last knew it; deaths with causes from registration."""
    role, death = pl.col("role"), pl.col("death")
    seen = pl.max_horizontal(
        pl.min_horizontal(pl.col("last_contact"), pl.col("diagnosis") + _days(u(27) * 3 * 365)),
        "report_dx",
    )
    knows = death.is_not_null() & ((death <= seen) | (role == "death"))
    last = pl.min_horizontal(pl.when(knows).then(death).otherwise(seen), pl.lit(closing))
    cause = pl.when("cancer_death").then("t_cause").otherwise("other_cause")
    return f.with_columns(
        vital_status=pl.when(knows).then(pl.lit("2")).otherwise(pl.lit("1")),
        last_contact_date=_iso(last),
        death_date=pl.when(knows).then(_iso(death)),
        cause_of_death=pl.when(knows & ((role == "death") | (u(28) < 0.5))).then(cause),
    )


def report_columns(
    rng, base: pl.DataFrame, closing: date, order: pl.Series | None = None
) -> pl.DataFrame:
    """All canonical columns of the chunk's reports (in contract order, text, nulls).

    The draws follow the rows of ``base``; ``order`` (positions in ``base``) gives the
    order of the returned rows."""
    draws = rng.random((base.height, U))
    f = slips(rng, base, draws)
    f = f.with_columns(_ascii_after_slips(base, f, p) for p in ("family", "given"))
    # a column per draw, each copied straight from the strided view (no transposed copy)
    f = f.with_columns(pl.Series(f"u{i}", draws[:, i]) for i in range(U))
    if order is not None:  # each row takes its draws along
        f = f[order]
    nos_sites = nos_topography(base["t_topography"])
    lazy = name_columns(f.lazy())
    lazy = identity_columns(lazy)
    lazy = date_columns(lazy)
    lazy = code_columns(lazy, nos_sites)
    lazy = stage_columns(lazy)
    lazy = treatment_columns(lazy)
    lazy = outcome_columns(lazy, closing)
    lazy = lazy.with_columns(  # a treatment the facility saw happened by its last contact
        first_treatment_date=pl.when(
            pl.col("first_treatment_date") <= pl.col("last_contact_date")
        ).then("first_treatment_date")
    )
    return lazy.select([_text_or_null(n) for n in NAMES]).collect()


def _text_or_null(name: str) -> pl.Expr:
    """The column as text, empty text as null (cheaper than ``replace("", None)``)."""
    text = pl.col(name).cast(pl.String)
    return pl.when(text != "").then(text)
