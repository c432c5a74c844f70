"""The reporting facilities of a synthetic registry.

The first facilities are the reporting institutions of oncoreg's demo list (central and
provincial hospitals, pathology labs, death registration offices); past those, each
pre-2025 province gets its general hospital, then its death registration office, then a
pathology lab. Each facility also gets the habits of its information system, which shape
its reports: the file format it sends, whether names are split or in one field, written
without diacritics or in capitals, and whether it already codes provinces after the 2025
merger.

Capacity (beds, specialties, equipment, location) is that of the demo list for its
facilities; a province's general hospital gets a capacity drawn plausibly for a provincial
hospital, and its pathology lab pathology only, from a generator seeded by the facility's
code (so drawing capacity does not change any other synthetic value).
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass

import numpy as np

from oncoreg.codes.provinces import provinces
from oncoreg.services.registry import demo_facilities_file
from oncoreg.synth.names import region_of_province

CSV_COLUMNS = (
    "code",
    "name_vi",
    "name_en",
    "province_code",
    "level",
    "type",
    "parent_code",
    "beds",
    "specialties",
    "equipment",
    "latitude",
    "longitude",
)
CAPACITY = ("beds", "specialties", "equipment", "latitude", "longitude")
REPORTING_TYPES = ("hospital", "lab", "death-registration")
PRIORITY = ("VN-K", "VN-CR", "VN-HUE", "HN-UB", "HCM-UB", "VN-K-GPB", "HN-STP", "HCM-STP")
CENTRAL_BY_REGION = {
    "N": ("VN-K", "VN-BM", "VN-VD", "VN-TN", "HN-UB"),
    "C": ("VN-HUE", "DN-UB", "NA-UB"),
    "S": ("VN-CR", "HCM-UB", "VN-CT"),
}


@dataclass(frozen=True)
class SynthFacility:
    """A facility and the habits of its reporting system."""

    code: str
    name_vi: str
    name_en: str
    province_code: str  # 2025 code
    level: str
    type: str
    parent_code: str
    format: str
    split_names: bool
    ascii_names: bool
    upper_names: bool
    codes_2025: bool
    beds: str = ""  # the capacity columns of the facility CSV, as written there
    specialties: str = ""
    equipment: str = ""
    latitude: str = ""
    longitude: str = ""


def _demo_rows() -> list[dict[str, str]]:
    with demo_facilities_file().open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["type"] in REPORTING_TYPES]
    rank = {code: i for i, code in enumerate(PRIORITY)}
    return sorted(rows, key=lambda r: rank.get(r["code"], len(rank)))


def _province_rows() -> list[dict[str, str]]:
    rows = []
    kinds = (
        ("DK", "Bệnh viện Đa khoa {}", "{} General Hospital", "hospital"),
        ("STP", "Sở Tư pháp {}", "{} Department of Justice", "death-registration"),
        ("GPB", "Khoa Giải phẫu bệnh - Bệnh viện Đa khoa {}", "{} Pathology", "lab"),
    )
    for suffix, vi, en, kind in kinds:
        for p in provinces("2004"):
            rows.append(
                {
                    "code": f"P{p.code}-{suffix}",
                    "name_vi": vi.format(p.name_vi),
                    "name_en": en.format(p.name_en),
                    "province_code": p.new_code,
                    "level": "provincial",
                    "type": kind,
                    "parent_code": f"P{p.code}-DK" if suffix == "GPB" else "",
                    **_drawn_capacity(f"P{p.code}-{suffix}", kind),
                }
            )
    return rows


def facilities(k: int, formats: tuple[str, ...], rng: np.random.Generator) -> list[SynthFacility]:
    """``k`` reporting facilities with their reporting habits (deterministic for a seed)."""
    rows = (_demo_rows() + _province_rows())[:k]
    codes = {r["code"] for r in rows}
    out = []
    for i, row in enumerate(rows):
        central = row["level"] == "central"
        out.append(
            SynthFacility(
                code=row["code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                province_code=row["province_code"],
                level=row["level"],
                type=row["type"],
                parent_code=row["parent_code"] if row["parent_code"] in codes else "",
                format=formats[i % len(formats)] if row["type"] == "hospital" else formats[0],
                split_names=bool(rng.random() < 0.5),
                ascii_names=bool(rng.random() < (0.1 if central else 0.35)),
                upper_names=bool(rng.random() < 0.2),
                codes_2025=bool(rng.random() < 0.35),
                **{c: row.get(c) or "" for c in CAPACITY},
            )
        )
    return out


def _drawn_capacity(code: str, kind: str) -> dict[str, str]:
    """A plausible capacity for a synthetic provincial facility, seeded by its code."""
    if kind == "lab":
        return {"specialties": "pathology", "equipment": "none"}
    if kind != "hospital":
        return {}
    draw = np.random.default_rng(zlib.crc32(code.encode()))
    radiotherapy = bool(draw.random() < 0.3)
    specialties = ["medical-oncology", "surgical-oncology"]
    specialties += ["radiation-oncology"] if radiotherapy else []
    specialties += ["pathology"] + (["palliative-care"] if draw.random() < 0.5 else [])
    equipment = [f"ct:{int(draw.integers(1, 4))}", f"mri:{int(draw.integers(0, 2))}"]
    equipment += [f"linac:{int(draw.integers(1, 3))}"] if radiotherapy else []
    return {
        "beds": str(int(draw.integers(4, 16)) * 100),
        "specialties": ";".join(specialties),
        "equipment": ";".join(equipment),
    }


def facility_region(f: SynthFacility) -> str:
    legacy = [p.code for p in provinces("2004") if p.new_code == f.province_code]
    return region_of_province(legacy[0]) if legacy else "N"
