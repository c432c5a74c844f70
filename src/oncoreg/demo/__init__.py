"""Demo data shipped with oncoreg (public institution names, no patient data)."""
