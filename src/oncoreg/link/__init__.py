"""Person linkage (Splink), tumour consolidation (IARC/IACR multiple-primary rules) and the
review queue."""
