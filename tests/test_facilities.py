"""Facility import and listing (on SQLite; the store itself is tested on both backends)."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from oncoreg.errors import InputError
from oncoreg.services.facilities import import_facilities, list_facilities
from oncoreg.services.registry import demo_facilities_file
from oncoreg.store import AuditEvent, Store, upgrade

HEADER = "code,name_vi,name_en,province_code,level,type,parent_code\n"
GOOD = (
    "VN-K,Bệnh viện K,K Hospital,01,central,hospital,\n"
    "HN-UB,Bệnh viện Ung Bướu Hà Nội,Hanoi Oncology Hospital,1,provincial,hospital,\n"
    "HG-DK,Bệnh viện Đa khoa tỉnh Hà Giang,Ha Giang General Hospital,02,Tỉnh,Bệnh viện,VN-K\n"
)


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'r.db'}", "s" * 40)
    upgrade(s)
    yield s
    s.dispose()


def _file(tmp_path, body, name="facilities.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_import_and_list(store, tmp_path):
    result = import_facilities(store, _file(tmp_path, GOOD))
    assert (result.read, result.inserted, result.rejected) == (3, 3, 0)
    rows = {f.code: f for f in list_facilities(store)}
    assert rows["HN-UB"].province_code == "01"
    assert rows["HG-DK"].province_code == "08"  # Hà Giang (02) is part of Tuyên Quang since 2025
    assert (rows["HG-DK"].level, rows["HG-DK"].type) == ("provincial", "hospital")
    assert rows["HG-DK"].parent_code == "VN-K"


def test_reimport_is_a_no_op_and_changes_are_audited(store, tmp_path):
    path = _file(tmp_path, GOOD)
    import_facilities(store, path)
    again = import_facilities(store, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    changed = _file(tmp_path, GOOD.replace("K Hospital", "National Cancer Hospital"))
    result = import_facilities(store, changed, actor="admin:an")
    assert (result.updated, result.unchanged) == (1, 2)
    with store.session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.actor == "admin:an"
    assert last.changes == {"name_en": {"old": "K Hospital", "new": "National Cancer Hospital"}}


def test_bad_rows_are_all_reported_and_nothing_is_imported(store, tmp_path):
    body = GOOD + (
        "VN-K,Trùng mã,,01,central,hospital,\n"  # duplicate code
        ",Không mã,,01,central,hospital,\n"  # no code
        "X1,Cơ sở X,,99,central,hospital,\n"  # unknown province
        "X2,Cơ sở Y,,01,region,clinic,NOPE\n"  # bad level, type, parent
    )
    with pytest.raises(InputError) as info:
        import_facilities(store, _file(tmp_path, body))
    problems = {(p.row, p.field) for p in info.value.problems}
    assert problems == {
        (5, "code"),
        (6, "code"),
        (7, "province_code"),
        (8, "level"),
        (8, "type"),
        (8, "parent_code"),
    }
    assert "nothing was imported" in info.value.message
    assert list_facilities(store) == []
    assert not (tmp_path / "facilities.rejects.csv").exists()


def test_skip_bad_rows_writes_a_rejects_file(store, tmp_path):
    body = GOOD + "X2,Cơ sở Y,,01,region,hospital,\nX3,Con của X2,,01,district,hospital,X2\n"
    result = import_facilities(store, _file(tmp_path, body), skip_bad_rows=True)
    assert (result.inserted, result.rejected) == (3, 2)
    with result.rejects_path.open(encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [r["row"] for r in rejects] == ["5", "6"]
    assert rejects[0]["code"] == "X2" and "level" in rejects[0]["problems"]
    assert "parent facility was rejected" in rejects[1]["problems"]


def test_missing_columns_and_bad_encoding(store, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("code,name_vi\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        import_facilities(store, path)
    path.write_bytes((HEADER + "A,B\xe1nh,,01,central,hospital,\n").encode("latin-1"))
    with pytest.raises(InputError, match="line 2 is not UTF-8"):
        import_facilities(store, path)
    with pytest.raises(InputError, match="not found"):
        import_facilities(store, tmp_path / "nope.csv")


def test_demo_list_imports_cleanly(store):
    result = import_facilities(store, demo_facilities_file())
    assert result.rejected == 0 and result.inserted >= 20
