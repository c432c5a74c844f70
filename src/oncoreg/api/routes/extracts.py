"""Research extracts: data-sharing agreements, requests, approval and release."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/extracts", tags=["extracts"])
