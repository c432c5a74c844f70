"""Statistics kept by data version: computed once, computed again after any change."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from oncoreg.api import server
from oncoreg.services import cache, records
from oncoreg.services.access import SYSTEM
from oncoreg.services.statistics import Selection, incidence_table, registry_tumours
from oncoreg.store import Store, upgrade
from oncoreg.web.dashboard import CHARTS, warm
from tests.web.conftest import copy_registry


def test_answers_are_kept_until_the_data_change(web_registry, tmp_path):
    store = copy_registry(web_registry, tmp_path)
    try:
        first = registry_tumours(store)
        assert registry_tumours(store) is first  # the same answer, not a new one
        table = incidence_table(store, Selection(range(2019, 2025)))
        assert incidence_table(store, Selection(range(2019, 2025))) is table
        version = cache.data_version(store)
        records.person_timeline(store, SYSTEM, int(first["person_id"][0]))  # a read
        assert cache.data_version(store) == version
        person = int(first.filter(first["status"] == 0)["person_id"][0])
        records.add_follow_up(
            store,
            SYSTEM,
            person,
            contact_date="2025-06-30",
            vital_status="2",
            death_date="2025-06-30",
        )
        assert cache.data_version(store) != version
        after = registry_tumours(store)
        assert after is not first
        dead = after.filter(after["person_id"] == person)["death_date"].to_list()
        assert all(str(d) == "2025-06-30" for d in dead)
    finally:
        store.dispose()


def test_two_registries_never_share_answers(web_registry, tmp_path):
    one = copy_registry(web_registry, tmp_path)
    assert cache.data_version(one) == cache.data_version(web_registry)
    try:
        assert registry_tumours(one) is not registry_tumours(web_registry)
    finally:
        one.dispose()


def test_the_same_question_asked_at_once_is_computed_once(web_registry, monkeypatch):
    """Eight threads asking together wait for one computation and share its answer."""
    calls = []

    def slow(store, years):
        calls.append(years)
        time.sleep(0.3)  # long enough for the other threads to arrive meanwhile
        return object()

    kept = cache.by_data_version(slow)
    start = threading.Barrier(8)
    answers = []

    def ask():
        start.wait()
        answers.append(kept(web_registry, (2019, 2024)))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(a) for a in answers}) == 1 and len(answers) == 8


def test_a_failed_computation_is_not_kept(web_registry):
    attempts = []

    def flaky(store):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the database went away")
        return "answer"

    kept = cache.by_data_version(flaky)
    with pytest.raises(RuntimeError):
        kept(web_registry)
    assert kept(web_registry) == "answer" and kept(web_registry) == "answer"
    assert len(attempts) == 2


def test_nested_answers_read_the_data_version_once(web_registry, tmp_path, monkeypatch):
    """The incidence table and the tumours it is computed from answer for one version."""
    store = copy_registry(web_registry, tmp_path)
    reads = []
    real = cache.data_version
    monkeypatch.setattr(cache, "data_version", lambda s: reads.append(1) or real(s))
    try:
        incidence_table(store, Selection(range(2019, 2025)))
        assert len(reads) == 1
        incidence_table(store, Selection(range(2019, 2025)))  # kept: one read to know it
        assert len(reads) == 2
    finally:
        store.dispose()


def test_a_warmed_worker_serves_the_dashboard_without_computing(
    web_registry, web_settings, clients, monkeypatch
):
    """What ``oncoreg serve``'s workers compute as they start is what the dashboard and
    its charts ask for: afterwards the registry's tumours are not read again."""
    cache.clear()
    warm(web_registry, web_settings.small_cells)

    def no_reading(*_args, **_kwargs):
        raise AssertionError("the dashboard read the registry again")

    monkeypatch.setattr("oncoreg.services.statistics._tumour_rows", no_reading)
    for role in ("analyst", "registrar", "admin"):
        assert clients[role].get("/dashboard").status_code == 200
        for name in CHARTS:
            assert clients[role].get(f"/charts/{name}.svg").status_code == 200


def test_warming_an_empty_registry_leaves_it_be(tmp_path, caplog):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}", "s" * 32)
    upgrade(store)
    try:
        with caplog.at_level(logging.INFO, logger="oncoreg.api"):
            server.warm(store, 5)
        assert "dashboard not computed ahead" in caplog.text
    finally:
        store.dispose()
