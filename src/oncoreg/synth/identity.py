"""Synthetic identifiers of persons: national ID, insurance number, phone, address.

Formats follow the real ones so that validation and linkage meet realistic values, but the
numbers are random: CCCD (12 digits: 0 + province code, a century/sex digit, the year of
birth's last two digits, six random digits), health-insurance card (two letters, a benefit
digit, the province code, ten digits), a 10-digit mobile number, a street address. Built as
Polars columns (vectorised string work in Rust).
"""

from __future__ import annotations

import numpy as np
import polars as pl

INSURANCE_GROUPS = ["GD", "HT", "DN", "HC", "BT", "CN", "TE", "NO"]
MOBILE_PREFIXES = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "032",
    "035",
    "070",
    "077",
    "081",
    "083",
    "086",
    "088",
    "089",
]
STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Hùng Vương",
    "Nguyễn Huệ",
    "Lê Duẩn",
    "Điện Biên Phủ",
    "Phan Đình Phùng",
    "Nguyễn Văn Cừ",
    "Trường Chinh",
    "Võ Thị Sáu",
]


def _pick(rng: np.random.Generator, choices: list[str], n: int) -> pl.Series:
    return pl.Series(choices, dtype=pl.String).gather(rng.integers(0, len(choices), n))


def _digits(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    return pl.Series(rng.integers(0, 10**width, n)).cast(pl.String).str.zfill(width)


def national_ids(rng, province_2004: pl.Series, sex: pl.Series, birth_year: pl.Series) -> pl.Series:
    """CCCD numbers: 0PP + century/sex digit + YY + 6 random digits."""
    n = sex.len()
    frame = pl.DataFrame({"p": province_2004, "s": sex, "y": birth_year, "r": _digits(rng, n, 6)})
    century = (
        pl.when(pl.col("y") >= 2000).then(2).otherwise(0)
        + pl.when(pl.col("s") == "2").then(1).otherwise(0)
    ).cast(pl.String)
    yy = (pl.col("y") % 100).cast(pl.String).str.zfill(2)
    return frame.select(pl.concat_str([pl.lit("0"), "p", century, yy, "r"])).to_series()


def insurance_numbers(rng, province_2004: pl.Series) -> pl.Series:
    n = province_2004.len()
    level = pl.Series(rng.integers(1, 6, n)).cast(pl.String)
    parts = [_pick(rng, INSURANCE_GROUPS, n), level, province_2004, _digits(rng, n, 10)]
    return (
        pl.DataFrame(parts, schema=["g", "l", "p", "d"])
        .select(pl.concat_str(["g", "l", "p", "d"]))
        .to_series()
    )


def phones(rng, n: int) -> pl.Series:
    frame = pl.DataFrame({"p": _pick(rng, MOBILE_PREFIXES, n), "d": _digits(rng, n, 7)})
    return frame.select(pl.concat_str(["p", "d"])).to_series()


def addresses(rng, province_names: pl.Series) -> pl.DataFrame:
    """Street addresses (``address``) and the same without diacritics (``address_ascii``,
    as :func:`oncoreg.synth.fields.ascii_text` writes them), built from ASCII parts."""
    from oncoreg.synth.fields import ascii_lookup

    n = province_names.len()
    urban, number = rng.random(n) < 0.45, rng.integers(1, 300, n)
    street = rng.integers(0, len(STREETS), n)
    streets = pl.Series("street", STREETS, dtype=pl.String)
    frame = pl.DataFrame(
        {
            "urban": urban,
            "number": number,
            "street": streets.gather(street),
            "street_ascii": ascii_lookup(streets).gather(street),
            "village": rng.integers(1, 15, n),
            "province": province_names,
            "province_ascii": ascii_lookup(province_names.alias("province")),
        }
    )
    return frame.select(
        address=_address("Số ", "Thôn ", "street", "province"),
        address_ascii=_address("So ", "Thon ", "street_ascii", "province_ascii"),
    )


def _address(number_word: str, village_word: str, street: str, province: str) -> pl.Expr:
    number = pl.concat_str([pl.lit(number_word), pl.col("number").cast(pl.String)])
    place = (
        pl.when("urban")
        .then(pl.concat_str([number, pl.lit(" "), street]))
        .otherwise(pl.concat_str([pl.lit(village_word), pl.col("village").cast(pl.String)]))
    )
    return pl.concat_str([place, pl.lit(", "), province])
