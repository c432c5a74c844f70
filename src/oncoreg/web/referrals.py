"""Pages: referrals of a person's tumour from one facility to another."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
