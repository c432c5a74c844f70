"""Exports of canonical hospital reports to other formats.

Each writer is a pure function of a canonical report frame (the columns of
``oncoreg.ingest.canonical.NAMES``, text with nulls for unknown): the same frame gives
byte-identical files.

* :func:`write_fhir_bundles`: HL7 FHIR R4 bundles with mCODE profiles, one per patient
  per facility.
* :func:`write_naaccr`: one NAACCR XML document (v25 base dictionary).
* :func:`write_xlsx`: one hospital's Excel workbook, through its mapping profile
  (``oncoreg.ingest.profiles``).
"""

from oncoreg.export.fhir import write_fhir_bundles
from oncoreg.export.naaccr import write_naaccr
from oncoreg.export.xlsx import write_xlsx

__all__ = ["write_fhir_bundles", "write_naaccr", "write_xlsx"]
