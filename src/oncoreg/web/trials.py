"""Pages: clinical trials: the registry, structured eligibility, matching and accrual."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
