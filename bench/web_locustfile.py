"""locust users of bench/web.py: signed-in registrars and analysts asking for the
dashboard, the incidence API, a chart and person searches, with no pause."""

from __future__ import annotations

import os
import random
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, constant, task

PASSWORD = os.environ["BENCH_PASSWORD"]
YEARS = os.environ["BENCH_YEARS"]
NAMES = Path(os.environ["BENCH_NAMES"]).read_text(encoding="utf-8").splitlines()
THINK = [float(v) for v in os.environ.get("BENCH_THINK", "0").split("-")]


class RegistryUser(FastHttpUser):
    wait_time = between(THINK[0], THINK[-1]) if THINK[-1] > 0 else constant(0)

    def on_start(self) -> None:
        self.role = random.choice(("registrar", "analyst"))
        answer = self.client.post(
            "/api/v1/session",
            json={"username": f"bench-{self.role}", "password": PASSWORD},
            name="POST /api/v1/session",
        )
        self.auth = {"Authorization": f"Bearer {answer.json()['token']}"}

    def get(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.auth, name=name)

    @task(3)
    def dashboard(self) -> None:
        self.get(f"/dashboard?years={YEARS}", "GET /dashboard")

    @task(2)
    def incidence(self) -> None:
        self.get(f"/api/v1/stats/incidence?years={YEARS}", "GET /api/v1/stats/incidence")

    @task(1)
    def chart(self) -> None:
        self.get(f"/charts/top-sites.svg?years={YEARS}", "GET /charts/top-sites.svg")

    @task(4)
    def search(self) -> None:
        if self.role != "registrar":  # analysts may not search by name
            self.get("/api/v1/persons?birth_year=1960", "GET /api/v1/persons (year)")
            return
        query = urlencode({"name": random.choice(NAMES)})
        self.get(f"/api/v1/persons?{query}", "GET /api/v1/persons")
