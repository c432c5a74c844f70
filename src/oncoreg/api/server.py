"""The application factory uvicorn imports in each worker process.

Each worker, once its application is built, computes the default dashboard on a thread
of its own (:func:`oncoreg.web.dashboard.warm`), so that the first users of a large
registry do not wait for it; requests meanwhile are served as usual, and one asking for
what is being computed waits for that computation rather than starting its own.
"""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI

log = logging.getLogger("oncoreg.api")


def app() -> FastAPI:
    from oncoreg.api.app import create_app

    application = create_app()
    state = application.state
    threading.Thread(
        target=warm,
        args=(state.store, state.settings.small_cells),
        name="oncoreg-warm",
        daemon=True,
    ).start()
    return application


def warm(store, small_cells: int) -> None:
    from oncoreg.errors import OncoregError
    from oncoreg.web.dashboard import warm as warm_dashboard

    try:
        warm_dashboard(store, small_cells)
    except OncoregError as err:  # e.g. nothing to count yet: the dashboard says so
        log.info("dashboard not computed ahead: %s", err.message)
    except Exception:  # noqa: BLE001 - a failed warm-up must not take the worker down
        log.exception("computing the dashboard ahead failed; it is computed when asked")
