"""Facility capacity: the CSV contract (import, every bad value, hierarchy, round trip),
where a service is available (order and great-circle distance), province centres, and
the API and pages that serve them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from oncoreg.codes.provinces import ERAS, provinces
from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import Role
from oncoreg.network.capacity import (
    EQUIPMENT,
    SPECIALTIES,
    read_equipment,
    read_specialties,
    write_equipment,
    write_specialties,
)
from oncoreg.network.where import (
    great_circle_km,
    province_centre,
    province_centres,
    where_available,
)
from oncoreg.services.access import SYSTEM, Principal
from oncoreg.services.facilities import (
    export_facilities,
    facility_detail,
    facility_listing,
    import_facilities,
    import_upload,
    list_facilities,
)
from oncoreg.services.registry import demo_facilities_file
from oncoreg.store import Store, upgrade

HEADER = "code,name_vi,name_en,province_code,level,type,parent_code"
CAPACITY = ",beds,specialties,equipment,latitude,longitude"
ROWS = (
    "C1,Trung ương 1,,01,central,hospital,,2000,medical-oncology;radiation-oncology,"
    "linac:4;ct:2,21.00,105.84\n"
    "P1,Tỉnh 1,,79,provincial,hospital,C1,800,Radiation-Oncology,LINAC:1,,\n"
    "P2,Tỉnh 2,,92,provincial,hospital,C1,500,radiation-oncology,ct:1,,\n"
    "D1,Huyện 1,,79,district,hospital,P1,,,,,\n"
    "L1,Khoa GPB,,79,provincial,lab,P1,,pathology,none,,\n"
)
ANALYST = Principal("analyst", Role.ANALYST)
PARTNER = Principal("partner", Role.PARTNER)


@pytest.fixture
def store(database_url):
    s = Store(database_url, "s" * 40)
    upgrade(s)
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'r.db'}", "s" * 40)
    upgrade(s)
    yield s
    s.dispose()


def _file(tmp_path, body: str, header: str = HEADER + CAPACITY, name: str = "f.csv"):
    path = tmp_path / name
    path.write_text(header + "\n" + body, encoding="utf-8")
    return path


def _problems(store, tmp_path, body: str, header: str = HEADER + CAPACITY):
    with pytest.raises(InputError) as info:
        import_facilities(store, _file(tmp_path, body, header, name="bad.csv"))
    found: dict[tuple, str] = {}
    for p in info.value.problems:
        found[(p.row, p.field)] = " | ".join(filter(None, [found.get((p.row, p.field)), p.message]))
    return found


# -- import with capacity ---------------------------------------------------------------


def test_import_with_capacity(store, tmp_path):
    result = import_facilities(store, _file(tmp_path, ROWS))
    assert (result.inserted, result.rejected) == (5, 0)
    rows = {f.code: f for f in list_facilities(store)}
    assert rows["C1"].beds == 2000
    assert rows["C1"].specialties == ["medical-oncology", "radiation-oncology"]
    assert rows["C1"].equipment == {"ct": 2, "linac": 4}  # in EQUIPMENT order
    assert (rows["C1"].latitude, rows["C1"].longitude) == (21.0, 105.84)
    assert rows["P1"].specialties == ["radiation-oncology"] and rows["P1"].equipment == {"linac": 1}
    # empty cells: not recorded; "none": recorded as none
    assert (rows["D1"].beds, rows["D1"].specialties, rows["D1"].equipment) == (None, None, None)
    assert rows["L1"].equipment == {} and rows["L1"].latitude is None


def test_a_file_without_capacity_columns_keeps_the_recorded_capacity(store, tmp_path):
    import_facilities(store, _file(tmp_path, ROWS))
    plain = "\n".join(",".join(line.split(",")[:7]) for line in ROWS.splitlines()) + "\n"
    again = import_facilities(store, _file(tmp_path, plain, HEADER, name="plain.csv"))
    assert (again.unchanged, again.updated) == (5, 0)
    assert {f.code: f for f in list_facilities(store)}["C1"].equipment == {"ct": 2, "linac": 4}


def test_a_present_column_with_empty_cells_clears_that_column_only(sqlite_store, tmp_path):
    import_facilities(sqlite_store, _file(tmp_path, ROWS))
    header = HEADER + ",beds"
    body = "C1,Trung ương 1,,01,central,hospital,,\n"
    result = import_facilities(sqlite_store, _file(tmp_path, body, header, name="beds.csv"))
    assert result.updated == 1
    c1 = {f.code: f for f in list_facilities(sqlite_store)}["C1"]
    assert c1.beds is None and c1.equipment == {"ct": 2, "linac": 4}


BAD_VALUES = [
    ("beds", "-1", "whole number"),
    ("beds", "many", "whole number"),
    ("beds", "20001", "whole number"),
    ("specialties", "oncology", "unknown specialty oncology (known: medical-oncology"),
    ("equipment", "linac", "not name:count"),
    ("equipment", "linac:two", "whole number from 0 to 999"),
    ("equipment", "linac:1000", "whole number from 0 to 999"),
    ("equipment", "proton:1", "unknown equipment proton (known: ct, mri"),
    ("equipment", "ct:1;ct:2", "given twice"),
    ("latitude", "50", "inside Vietnam"),
    ("latitude", "21,0", "inside Vietnam"),
    ("longitude", "120.5", "inside Vietnam"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_VALUES)
def test_every_bad_capacity_value_is_reported_with_row_field_and_reason(
    sqlite_store, tmp_path, column, value, message
):
    cells = {"beds": "", "specialties": "", "equipment": "", "latitude": "", "longitude": ""}
    cells[column] = f'"{value}"'
    if column in ("latitude", "longitude"):
        cells = cells | {"latitude": "21.0", "longitude": "105.8", column: f'"{value}"'}
    body = "X1,Cơ sở,,01,central,hospital,," + ",".join(cells.values()) + "\n"
    problems = _problems(sqlite_store, tmp_path, body)
    assert list(problems) == [(2, column)]
    assert message in problems[(2, column)]
    assert list_facilities(sqlite_store) == []


def test_latitude_and_longitude_go_together(sqlite_store, tmp_path):
    body = "X1,Cơ sở,,01,central,hospital,,,,,21.0,\n"
    assert list(_problems(sqlite_store, tmp_path, body)) == [(2, "longitude")]
    with pytest.raises(InputError, match="latitude and longitude go together"):
        import_facilities(
            sqlite_store, _file(tmp_path, "X1,A,,01,central,hospital,,21.0\n", HEADER + ",latitude")
        )


def test_all_problems_of_a_file_are_reported_at_once(sqlite_store, tmp_path):
    body = ROWS + "X1,Cơ sở,,01,central,hospital,,x,oncology,ct:y,99,0\n"
    problems = _problems(sqlite_store, tmp_path, body)
    assert set(problems) == {
        (7, f) for f in ("beds", "specialties", "equipment", "latitude", "longitude")
    }


# -- hierarchy ---------------------------------------------------------------------------


def test_a_parent_must_stand_above_its_child(sqlite_store, tmp_path):
    body = (
        "C1,Trung ương,,01,central,hospital,,,,,,\n"
        "D1,Huyện,,01,district,hospital,C1,,,,,\n"
        "P1,Tỉnh con của huyện,,01,provincial,hospital,D1,,,,,\n"  # parent below
        "C2,Trung ương con,,01,central,hospital,C1,,,,,\n"  # parent at the same level
        "L1,Khoa GPB,,01,central,lab,C1,,,,,\n"  # a lab may belong to its own level
    )
    problems = _problems(sqlite_store, tmp_path, body)
    assert set(problems) == {(4, "parent_code"), (5, "parent_code")}
    assert "its parent D1 is district, not above provincial" in problems[(4, "parent_code")]


def test_parent_chains_may_not_loop(sqlite_store, tmp_path):
    body = (
        "L1,Lab 1,,01,central,lab,L2,,,,,\n"
        "L2,Lab 2,,01,central,lab,L3,,,,,\n"
        "L3,Lab 3,,01,central,lab,L1,,,,,\n"
    )
    problems = _problems(sqlite_store, tmp_path, body)
    assert set(problems) == {(2, "parent_code"), (3, "parent_code"), (4, "parent_code")}
    assert "loops back to this facility: L1 → L2 → L3 → L1" in problems[(2, "parent_code")]


def test_hierarchy_is_checked_against_the_registry_too(sqlite_store, tmp_path):
    import_facilities(sqlite_store, _file(tmp_path, ROWS))
    # P1 has children D1 (district) and L1 (lab) in the registry: it cannot become a commune
    body = "P1,Tỉnh 1,,79,commune,hospital,C1,,,,,\n"
    problems = _problems(sqlite_store, tmp_path, body)
    assert list(problems) == [(2, "level")]
    assert "facility D1 (district) has this one as parent" in problems[(2, "level")]
    # a parent that only the registry knows is fine; one that nobody knows is not
    body = "D2,Huyện 2,,79,district,hospital,P1,,,,,\nD3,Huyện 3,,79,district,hospital,NOPE,,,,,\n"
    assert _problems(sqlite_store, tmp_path, body) == {
        (3, "parent_code"): "no facility has this code"
    }


def test_skip_bad_rows_rejects_the_children_of_misplaced_rows(sqlite_store, tmp_path):
    body = (
        "C1,Trung ương,,01,central,hospital,,,,,,\n"
        "C2,Trung ương con,,01,central,hospital,C1,,,,,\n"
        "D2,Huyện,,01,district,hospital,C2,,,,,\n"
    )
    result = import_facilities(sqlite_store, _file(tmp_path, body), skip_bad_rows=True)
    assert (result.inserted, result.rejected) == (1, 2)
    assert {(p.row, p.field) for p in result.problems} == {(3, "parent_code"), (4, "parent_code")}


# -- export and round trip --------------------------------------------------------------


def test_export_then_import_changes_nothing(store, tmp_path):
    import_facilities(store, demo_facilities_file())
    text = export_facilities(store, SYSTEM)
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    again = import_facilities(store, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, again.read)
    assert export_facilities(store, SYSTEM) == text
    lines = text.splitlines()
    assert lines[0] == HEADER + CAPACITY
    assert lines[1].startswith("VN-BM,") or lines[1].startswith("VN-CR,")  # central first


def test_export_imports_into_an_empty_registry_as_the_same_list(sqlite_store, tmp_path):
    import_facilities(sqlite_store, demo_facilities_file())
    text = export_facilities(sqlite_store, SYSTEM)
    other = Store(f"sqlite:///{tmp_path / 'other.db'}", "s" * 40)
    upgrade(other)
    try:
        result = import_upload(other, SYSTEM, "facilities.csv", text.encode())
        assert result.inserted == text.count("\n") - 1
        assert export_facilities(other, SYSTEM) == text
    finally:
        other.dispose()


@given(
    st.lists(st.sampled_from(list(SPECIALTIES)), unique=True),
    st.dictionaries(st.sampled_from(list(EQUIPMENT)), st.integers(0, 999)),
)
def test_capacity_cells_round_trip(specialties, equipment):
    assert read_specialties(write_specialties(specialties)) == [
        s for s in SPECIALTIES if s in specialties
    ]
    assert read_equipment(write_equipment(equipment)) == equipment
    assert read_specialties("") is None and read_equipment("") is None


# -- listing, detail, upload -------------------------------------------------------------


def test_listing_filters_detail_and_permissions(sqlite_store, tmp_path):
    import_facilities(sqlite_store, _file(tmp_path, ROWS))
    assert [f.code for f in facility_listing(sqlite_store, ANALYST, level="provincial")] == [
        "L1",
        "P1",
        "P2",
    ]
    assert {f.code for f in facility_listing(sqlite_store, ANALYST, province_code="77")} == {
        "D1",
        "L1",
        "P1",  # Bà Rịa - Vũng Tàu (77) is part of TP Hồ Chí Minh (79) since 2025
    }
    with pytest.raises(InputError, match="level must be"):
        facility_listing(sqlite_store, ANALYST, level="region")
    detail = facility_detail(sqlite_store, ANALYST, "P1")
    assert detail.parent.code == "C1"
    assert [c.code for c in detail.children] == ["L1", "D1"]  # by level, then code
    assert detail.services == ["radiotherapy"]
    with pytest.raises(NotFound):
        facility_detail(sqlite_store, ANALYST, "NOPE")
    for call in (
        lambda: facility_listing(sqlite_store, PARTNER),
        lambda: export_facilities(sqlite_store, PARTNER),
        lambda: import_upload(sqlite_store, ANALYST, "f.csv", b""),
    ):
        with pytest.raises(Forbidden):
            call()


def test_upload_problems_name_the_uploaded_file(sqlite_store):
    with pytest.raises(InputError, match="line 2 is not UTF-8"):
        import_upload(sqlite_store, SYSTEM, "f.csv", (HEADER + "\nA,B\xe1,,01").encode("latin-1"))
    with pytest.raises(InputError, match="up.csv: missing column"):
        import_upload(sqlite_store, SYSTEM, "../up.csv", b"code\nA\n")
    body = (HEADER + CAPACITY + "\nX1,A,,01,central,hospital,,x,,,,\n").encode()
    with pytest.raises(InputError) as info:
        import_upload(sqlite_store, SYSTEM, "up.csv", body)
    assert [(p.file, p.row, p.field) for p in info.value.problems] == [("up.csv", 2, "beds")]


# -- where a service is available --------------------------------------------------------


def test_where_available_orders_nearest_first_with_distances(store):
    import_facilities(store, demo_facilities_file())
    rows = where_available(store, ANALYST, "radiotherapy", province_code="79")
    codes = [r.code for r in rows]
    assert codes[:2] == ["HCM-UB", "VN-CR"]
    assert rows[0].approx and rows[0].distance_km == 0.0  # at the province's centre
    assert not rows[1].approx and 0 < rows[1].distance_km < 10
    assert [r.distance_km for r in rows] == sorted(r.distance_km for r in rows)
    assert "VN-VD" not in codes and "HN-SS" not in codes  # no linear accelerator
    hanoi = next(r for r in rows if r.code == "HN-UB")
    assert 1100 < hanoi.distance_km < 1180
    assert rows[0].needed_equipment == {"linac": 8}
    assert len(where_available(store, ANALYST, "radiotherapy", province_code="79", limit=3)) == 3


def test_where_available_without_a_province_is_by_level_then_name(sqlite_store):
    import_facilities(sqlite_store, demo_facilities_file())
    rows = where_available(sqlite_store, ANALYST, "pet-ct")
    assert all(r.distance_km is None for r in rows)
    assert [r.level for r in rows] == sorted(
        (r.level for r in rows), key=["central", "provincial"].index
    )
    central = [r.name_vi for r in rows if r.level == "central"]
    assert central == [
        "Bệnh viện Bạch Mai",
        "Bệnh viện Chợ Rẫy",
        "Bệnh viện K",
        "Bệnh viện Trung ương Huế",
    ]
    pathology = {r.code for r in where_available(sqlite_store, ANALYST, "pathology", limit=500)}
    assert {"VN-K-GPB", "HCM-UB-GPB"} <= pathology and "VN-GNUT" not in pathology


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"service_name": "proton"}, InputError, "unknown service"),
        ({"service_name": "ct", "province_code": "99"}, InputError, "not a province code"),
        ({"service_name": "ct", "limit": 0}, InputError, "limit must be"),
    ],
)
def test_where_available_refuses_bad_questions(sqlite_store, kwargs, error, message):
    with pytest.raises(error, match=message):
        where_available(sqlite_store, ANALYST, **kwargs)


def test_where_available_is_refused_to_partners(sqlite_store):
    with pytest.raises(Forbidden):
        where_available(sqlite_store, PARTNER, "ct")


def test_every_province_code_has_a_centre_inside_vietnam():
    for era in ERAS:
        for p in provinces(era):
            centre = province_centres()[(era, p.code)]
            assert 8.0 <= centre.latitude <= 23.5 and 102.0 <= centre.longitude <= 110.0, p
    assert len(province_centres()) == 63 + 34
    # a 2025 unit's centre lies in the former province that kept its code
    assert province_centre("15").latitude == province_centre("15", era="2004").latitude


@pytest.mark.parametrize(
    ("a", "b", "km", "tolerance"),
    [
        ("01", "79", 1140, 40),  # Hà Nội - TP Hồ Chí Minh
        ("01", "48", 610, 30),  # Hà Nội - Đà Nẵng
        ("79", "92", 130, 15),  # TP Hồ Chí Minh - Cần Thơ
        ("01", "01", 0, 0),
    ],
)
def test_known_great_circle_distances(a, b, km, tolerance):
    ca, cb = province_centre(a), province_centre(b)
    distance = great_circle_km(ca.latitude, ca.longitude, cb.latitude, cb.longitude)
    assert distance == pytest.approx(km, abs=tolerance)


# -- the API and the pages ----------------------------------------------------------------


@pytest.fixture
def app_clients(sqlite_store):
    from oncoreg.api import create_app
    from oncoreg.services.users import create_user
    from oncoreg.settings import Settings

    import_facilities(sqlite_store, demo_facilities_file())
    app = create_app(sqlite_store, Settings(database_url=sqlite_store.url, secret_key="k" * 40))
    clients = {}
    for role in ("admin", "hospital", "partner"):
        create_user(
            sqlite_store,
            SYSTEM,
            username=f"{role}-u",
            role=role,
            facility_code="HN-UB" if role == "hospital" else None,
            password="a long enough password",
        )
        client = TestClient(app, raise_server_exceptions=False)
        answer = client.post(
            "/api/v1/session", json={"username": f"{role}-u", "password": "a long enough password"}
        )
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        clients[role] = client
    return clients


def test_api_lists_shows_finds_exports_and_imports(app_clients):
    hospital, admin = app_clients["hospital"], app_clients["admin"]
    listed = hospital.get("/api/v1/facilities", params={"level": "central"}).json()
    assert listed["count"] == 11 and listed["data"][0]["code"] == "VN-BM"
    assert listed["data"][0]["equipment"]["linac"] == 3
    one = hospital.get("/api/v1/facilities/VN-K").json()
    assert {c["code"] for c in one["children"]} == {"VN-K-GPB", "VN-GNUT"}
    assert "radiotherapy" in one["services"]
    assert hospital.get("/api/v1/facilities/NOPE").status_code == 404
    where = hospital.get("/api/v1/facilities/where", params={"service": "tace", "province": "01"})
    assert where.status_code == 200 and where.json()["data"][0]["code"] == "VN-VD"
    assert hospital.get("/api/v1/facilities/where", params={"service": "x"}).status_code == 422
    services = hospital.get("/api/v1/facilities/services").json()
    assert services["data"][3]["equipment"] == [{"name": "linac", "label": "Linear accelerator"}]
    export = hospital.get("/api/v1/facilities/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    files = {"file": ("f.csv", export.content)}
    assert hospital.post("/api/v1/facilities/import", files=files).status_code == 403
    done = admin.post("/api/v1/facilities/import", files=files)
    assert done.status_code == 200 and done.json()["unchanged"] == done.json()["read"]
    bad = export.content.replace(b",2500,", b",lots,", 1)
    refused = admin.post("/api/v1/facilities/import", files={"file": ("f.csv", bad)})
    assert refused.status_code == 422
    assert refused.json()["problems"][0] == {
        "message": "beds must be a whole number from 0 to 20000",
        "file": "f.csv",
        "row": refused.json()["problems"][0]["row"],
        "field": "beds",
    }
    assert app_clients["partner"].get("/api/v1/facilities/where?service=ct").status_code == 403


def test_pages_show_the_tree_the_search_and_a_facility(app_clients):
    hospital, admin = app_clients["hospital"], app_clients["admin"]
    page = hospital.get("/facilities", params={"province": "79"})
    assert page.status_code == 200 and "HCM-UB-GPB" in page.text and "VN-K-GPB" not in page.text
    assert 'action="/facilities/import"' not in page.text
    assert 'action="/facilities/import"' in admin.get("/facilities").text
    where = hospital.get("/facilities/where", params={"service": "radiotherapy", "province": "40"})
    assert where.status_code == 200 and "Bệnh viện Ung bướu Nghệ An" in where.text
    detail = hospital.get("/facilities/VN-CR", cookies={"oncoreg_lang": "en"})
    assert detail.status_code == 200 and "Linear accelerator: 4" in detail.text
    bad = admin.post(
        "/facilities/import",
        files={"file": ("f.csv", (HEADER + "\nX,,,01,x,hospital,\n").encode())},
    )
    assert bad.status_code == 422 and "row 2" in bad.text
    assert app_clients["partner"].get("/facilities").status_code == 403
