"""The REST API (FastAPI, versioned under /api/v1) and the application factory."""

from oncoreg.api.app import create_app

__all__ = ["create_app"]
