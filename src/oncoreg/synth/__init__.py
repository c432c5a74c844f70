"""Synthetic national registry generator: realistic hospital reports, never real patients.

``generate()`` (and ``oncoreg synth``) writes a population, hospital reports in the formats
hospitals send (canonical CSV, Excel, FHIR mCODE, NAACCR XML) and the ground truth.
"""

from oncoreg.synth.generate import SynthResult, generate, parse_years

__all__ = ["SynthResult", "generate", "parse_years"]
