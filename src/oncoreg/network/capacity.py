"""What a facility can do: its specialties and equipment, and the services (treatments
and examinations) that need them.

A facility's capacity is recorded on the facility (``beds``, ``specialties``, a list of
:data:`SPECIALTIES`; ``equipment``, counts of :data:`EQUIPMENT`). A service needs some
specialties and some equipment (:data:`SERVICES`); :func:`missing_capacity` says what a
facility lacks for a service, which a referral shows as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncoreg.errors import InputError

EQUIPMENT: dict[str, str] = {
    "ct": "CT scanner",
    "mri": "MRI scanner",
    "pet-ct": "PET/CT scanner",
    "spect": "SPECT or gamma camera",
    "linac": "Linear accelerator",
    "brachytherapy": "Brachytherapy afterloader",
    "dsa": "Digital subtraction angiography",
    "robotic-surgery": "Surgical robot",
}
SPECIALTIES: dict[str, str] = {
    "medical-oncology": "Medical oncology (chemotherapy, systemic therapy)",
    "surgical-oncology": "Surgical oncology",
    "radiation-oncology": "Radiation oncology",
    "haematology": "Haematology",
    "nuclear-medicine": "Nuclear medicine",
    "pathology": "Pathology",
    "interventional-radiology": "Interventional radiology",
    "paediatric-oncology": "Paediatric oncology",
    "palliative-care": "Palliative care",
}


@dataclass(frozen=True)
class Service:
    """A treatment or examination and the capacity it needs."""

    name: str
    label: str
    specialties: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service("surgery", "Cancer surgery", ("surgical-oncology",)),
        Service("robotic-surgery", "Robotic surgery", ("surgical-oncology",), ("robotic-surgery",)),
        Service("chemotherapy", "Chemotherapy and systemic therapy", ("medical-oncology",)),
        Service("radiotherapy", "External beam radiotherapy", ("radiation-oncology",), ("linac",)),
        Service("brachytherapy", "Brachytherapy", ("radiation-oncology",), ("brachytherapy",)),
        Service("haematology", "Treatment of blood cancers", ("haematology",)),
        Service("radioiodine", "Radioiodine therapy", ("nuclear-medicine",), ("spect",)),
        Service("pet-ct", "PET/CT staging", ("nuclear-medicine",), ("pet-ct",)),
        Service("mri", "MRI", (), ("mri",)),
        Service("ct", "CT", (), ("ct",)),
        Service("tace", "Transarterial chemoembolisation", ("interventional-radiology",), ("dsa",)),
        Service("pathology", "Histopathology", ("pathology",)),
        Service("paediatric-oncology", "Childhood cancer care", ("paediatric-oncology",)),
        Service("palliative-care", "Palliative care", ("palliative-care",)),
    )
}


def service(name: str) -> Service:
    """The service called ``name``.

    Raises:
        InputError: no such service (the message lists the known ones).
    """
    found = SERVICES.get(name.strip().lower())
    if found is None:
        raise InputError(
            f"unknown service {name!r}",
            hint="one of: " + ", ".join(SERVICES),
        )
    return found


def missing_capacity(
    specialties: list[str] | None, equipment: dict[str, int] | None, name: str
) -> str | None:
    """What a facility with these specialties and equipment lacks for service ``name``
    (a readable reason), or None when it has all it needs.

    A facility whose capacity was never recorded (both None) lacks nothing that can be
    told: None.

    Raises:
        InputError: ``name`` is not a known service.
    """
    needed = service(name)
    if specialties is None and equipment is None:
        return None
    have_specialties = set(specialties or ())
    have_equipment = {k for k, v in (equipment or {}).items() if v and v > 0}
    lacking = [SPECIALTIES[s] for s in needed.specialties if s not in have_specialties]
    lacking += [EQUIPMENT[e] for e in needed.equipment if e not in have_equipment]
    if not lacking:
        return None
    return f"{needed.label} needs: " + "; ".join(lacking)


# -- capacity in the facility CSV -------------------------------------------------------
#
# A cell holds names separated by ";" (specialties) or "name:count" pairs (equipment).
# Names are read case-insensitively, with "/", "_" and spaces taken as "-" ("PET/CT" is
# "pet-ct"). An empty cell means "not recorded"; the word NONE means "recorded: none".

NONE = "none"


def _name(text: str) -> str:
    return "-".join(text.strip().lower().replace("/", " ").replace("_", " ").split())


def _items(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def read_specialties(cell: str) -> list[str] | None:
    """The specialties of a CSV cell, in :data:`SPECIALTIES` order (None: not recorded).

    Raises:
        InputError: a name is not one of :data:`SPECIALTIES` (the hint lists them).
    """
    if not cell.strip():
        return None
    if _name(cell) == NONE:
        return []
    names = {_name(part) for part in _items(cell)}
    unknown = sorted(names - set(SPECIALTIES))
    if unknown:
        raise InputError(
            f"unknown specialty {', '.join(unknown)}", hint="known: " + ", ".join(SPECIALTIES)
        )
    return [s for s in SPECIALTIES if s in names]


def read_equipment(cell: str) -> dict[str, int] | None:
    """The equipment counts of a CSV cell, ``name:count;...`` (None: not recorded).

    Raises:
        InputError: an unknown name (the hint lists them), a count that is not a whole
            number from 0 to 999, or a name given twice.
    """
    if not cell.strip():
        return None
    if _name(cell) == NONE:
        return {}
    counts: dict[str, int] = {}
    for part in _items(cell):
        name, count = _equipment_item(part)
        if name in counts:
            raise InputError(f"equipment {name} is given twice", hint="give each name once")
        counts[name] = count
    return {e: counts[e] for e in EQUIPMENT if e in counts}


def _equipment_item(part: str) -> tuple[str, int]:
    raw_name, sep, raw_count = part.rpartition(":")
    name = _name(raw_name)
    if not sep or not name:
        raise InputError(f"{part!r} is not name:count", hint="e.g. linac:2;ct:3")
    if name not in EQUIPMENT:
        raise InputError(f"unknown equipment {name}", hint="known: " + ", ".join(EQUIPMENT))
    count = raw_count.strip()
    if not (count.isascii() and count.isdigit()) or int(count) > 999:
        raise InputError(f"the count of {name} must be a whole number from 0 to 999")
    return name, int(count)


def write_specialties(specialties: list[str] | None) -> str:
    """A CSV cell for specialties (the inverse of :func:`read_specialties`)."""
    if specialties is None:
        return ""
    return ";".join(s for s in SPECIALTIES if s in specialties) or NONE


def write_equipment(equipment: dict[str, int] | None) -> str:
    """A CSV cell for equipment counts (the inverse of :func:`read_equipment`)."""
    if equipment is None:
        return ""
    return ";".join(f"{e}:{equipment[e]}" for e in EQUIPMENT if e in equipment) or NONE


def offers(specialties: list[str] | None, equipment: dict[str, int] | None, name: str) -> bool:
    """Whether a facility's recorded capacity has all that service ``name`` needs.

    Unlike :func:`missing_capacity`, a facility whose capacity was never recorded does not
    offer anything: it cannot be shown as a place where the service is available.

    Raises:
        InputError: ``name`` is not a known service.
    """
    service(name)
    if specialties is None and equipment is None:
        return False
    return missing_capacity(specialties or [], equipment or {}, name) is None


def services_offered(specialties: list[str] | None, equipment: dict[str, int] | None) -> list[str]:
    """The names of the services a facility's recorded capacity allows."""
    return [name for name in SERVICES if offers(specialties, equipment, name)]


def service_catalogue() -> list[dict[str, object]]:
    """The service vocabulary: each service with the specialties and equipment it needs."""
    return [
        {
            "name": s.name,
            "label": s.label,
            "specialties": [{"name": n, "label": SPECIALTIES[n]} for n in s.specialties],
            "equipment": [{"name": n, "label": EQUIPMENT[n]} for n in s.equipment],
        }
        for s in SERVICES.values()
    ]
