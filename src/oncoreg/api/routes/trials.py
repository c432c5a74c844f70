"""Clinical trials: the registry, structured eligibility, matching and accrual."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/trials", tags=["trials"])
