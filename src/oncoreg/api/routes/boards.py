"""Multidisciplinary tumour boards: members, meetings, cases and recommendations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/boards", tags=["boards"])
