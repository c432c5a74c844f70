"""A real server and a real browser for the browser tests.

The server is uvicorn serving the application on a copy of the test registry, in a
thread on a free loopback port. The browser is Debian's Chromium driven by Playwright
(``playwright install`` cannot download browsers here); where it is missing,
scripts/install-system-deps installs it (as root, with apt), as .ci/run does.
Screenshots go to ``test-artifacts/screenshots`` in the repository (ignored by git).
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
INSTALL = ROOT / "scripts" / "install-system-deps"


def ensure_chromium() -> Path:
    """Debian's Chromium, installed by scripts/install-system-deps when missing (as .ci/run
    does); else the browser tests fail on CI and are skipped elsewhere."""
    if not CHROMIUM.exists():
        subprocess.run([str(INSTALL)], check=False, capture_output=True, timeout=900)
    if CHROMIUM.exists():
        return CHROMIUM
    reason = "Debian's chromium is missing and scripts/install-system-deps could not install it"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """uvicorn in a thread: ``with Server(app) as url: ...``."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start in 20 s")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
