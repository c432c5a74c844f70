"""Pages: facilities of the network and where a treatment is available."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
