"""Statistics kept by data version: computed once, computed again after any change."""

from __future__ import annotations

from oncoreg.services import cache, records
from oncoreg.services.access import SYSTEM
from oncoreg.services.statistics import Selection, incidence_table, registry_tumours
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
