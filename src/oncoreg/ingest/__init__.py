"""Ingest: readers of hospital reports (canonical CSV, mapped CSV/XLSX, FHIR, NAACCR)."""
