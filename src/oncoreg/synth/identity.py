"""Synthetic identifiers of persons: national ID, insurance number, phone, address.

Formats follow the real ones so that validation and linkage meet realistic values, but the
numbers are random: CCCD (12 digits: 0 + province code, a century/sex digit, the year of
birth's last two digits, six random digits), health-insurance card (two letters, a benefit
digit, the province code, ten digits), a 10-digit mobile number, a street address.
"""

from __future__ import annotations

import numpy as np

INSURANCE_GROUPS = np.array(["GD", "HT", "DN", "HC", "BT", "CN", "TE", "NO"], dtype=object)
MOBILE_PREFIXES = np.array(
    [
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
    ],
    dtype=object,
)
STREETS = np.array(
    [
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
    ],
    dtype=object,
)


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    values = rng.integers(0, 10**width, n)
    return np.char.zfill(values.astype(str), width).astype(object)


def national_ids(rng, province_2004: np.ndarray, sex: np.ndarray, birth_year: np.ndarray):
    """CCCD numbers: 0PP + century/sex digit + YY + 6 random digits."""
    century = np.where(birth_year >= 2000, 2, 0) + np.where(sex == "2", 1, 0)
    yy = np.char.zfill((birth_year % 100).astype(str), 2)
    head = np.char.add(np.char.add("0", province_2004.astype(str)), century.astype(str))
    return np.char.add(np.char.add(head, yy), _digits(rng, sex.size, 6).astype(str)).astype(object)


def insurance_numbers(rng, province_2004: np.ndarray) -> np.ndarray:
    n = province_2004.size
    group = INSURANCE_GROUPS[rng.integers(0, INSURANCE_GROUPS.size, n)].astype(str)
    level = rng.integers(1, 6, n).astype(str)
    head = np.char.add(np.char.add(group, level), province_2004.astype(str))
    return np.char.add(head, _digits(rng, n, 10).astype(str)).astype(object)


def phones(rng, n: int) -> np.ndarray:
    prefix = MOBILE_PREFIXES[rng.integers(0, MOBILE_PREFIXES.size, n)].astype(str)
    return np.char.add(prefix, _digits(rng, n, 7).astype(str)).astype(object)


def addresses(rng, province_names: np.ndarray) -> np.ndarray:
    n = province_names.size
    urban = rng.random(n) < 0.45
    number = rng.integers(1, 300, n).astype(str)
    street = STREETS[rng.integers(0, STREETS.size, n)].astype(str)
    city = np.char.add(np.char.add(np.char.add("Số ", number), " "), street)
    village = np.char.add("Thôn ", rng.integers(1, 15, n).astype(str))
    place = np.where(urban, city, village)
    return np.char.add(np.char.add(place, ", "), province_names.astype(str)).astype(object)
