"""The application factory uvicorn imports in each worker process."""

from __future__ import annotations

from fastapi import FastAPI


def app() -> FastAPI:
    from oncoreg.api.app import create_app

    return create_app()
