"""Helpers shared by the rule tests: small report frames and the ids a rule flags."""

from __future__ import annotations

import polars as pl

from oncoreg.checks.engine import INPUT_COLUMNS, run


def reports(**columns: list) -> pl.DataFrame:
    """A frame of reports r0, r1, ... from equal-length column lists (dtypes of the engine)."""
    size = len(next(iter(columns.values())))
    data = {"report_id": [f"r{i}" for i in range(size)], **columns}
    return pl.DataFrame(data, schema={name: INPUT_COLUMNS[name] for name in data})


def flagged(frame: pl.DataFrame, rule_id: str) -> set[str]:
    """The report ids that ``rule_id`` flags."""
    return set(run(frame, selected=[rule_id])["report_id"])
