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
