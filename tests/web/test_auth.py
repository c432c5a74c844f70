"""Sign-in, sessions, one-time passwords, CSRF and the rate limit, as a client meets them."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from oncoreg.api.deps import COOKIE
from oncoreg.services.access import SYSTEM
from oncoreg.services.users import create_user, token_digest
from oncoreg.store import User, WebSession
from tests.web.conftest import PASSWORD, sign_in


def _new_user(store, role="registrar", password=PASSWORD, **kwargs):
    name = f"u-{uuid.uuid4().hex[:8]}"
    _, issued = create_user(store, SYSTEM, username=name, role=role, password=password, **kwargs)
    return name, issued


def test_wrong_password_and_unknown_user_get_the_same_answer(web_app, web_registry):
    name, _ = _new_user(web_registry)
    client = TestClient(web_app)
    wrong = client.post("/api/v1/session", json={"username": name, "password": "not it"})
    unknown = client.post("/api/v1/session", json={"username": "no-such", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "sign_in_refused"


def test_too_many_failures_lock_the_name_even_for_the_right_password(web_app, web_registry):
    name, _ = _new_user(web_registry)
    client = TestClient(web_app)
    for _ in range(5):
        client.post("/api/v1/session", json={"username": name, "password": "guess"})
    locked = client.post("/api/v1/session", json={"username": name, "password": PASSWORD})
    assert locked.status_code == 401
    assert "too many" in locked.json()["message"]


def test_passwords_are_argon2_and_session_tokens_are_kept_only_as_hashes(web_app, web_registry):
    name, _ = _new_user(web_registry)
    answer = TestClient(web_app).post(
        "/api/v1/session", json={"username": name, "password": PASSWORD}
    )
    token = answer.json()["token"]
    with web_registry.session() as session:
        user = session.scalar(select(User).where(User.username == name))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        stored = session.scalars(select(WebSession.token_hash)).all()
    assert token not in stored and token_digest(token) in stored


def test_the_session_cookie_is_http_only_strict_and_secure_behind_https(web_app, web_registry):
    name, _ = _new_user(web_registry)
    client = TestClient(web_app)
    body = {"username": name, "password": PASSWORD}
    plain = client.post("/api/v1/session", json=body).headers["set-cookie"]
    proxied = client.post(
        "/api/v1/session", json=body, headers={"X-Forwarded-Proto": "https"}
    ).headers["set-cookie"]
    assert plain.startswith(COOKIE) and "httponly" in plain.lower()
    assert "samesite=strict" in plain.lower() and "secure" not in plain.lower()
    assert "secure" in proxied.lower()


def test_a_one_time_password_must_be_replaced_before_anything_else(web_app, web_registry):
    name, issued = _new_user(web_registry, password=None)
    assert issued
    client = TestClient(web_app)
    answer = client.post("/api/v1/session", json={"username": name, "password": issued})
    assert answer.json()["must_change_password"] is True
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    blocked = client.get("/api/v1/persons", params={"birth_year": 1960})
    assert blocked.status_code == 403 and blocked.json()["error"] == "password_change_needed"
    short = client.post(
        "/api/v1/me/password", json={"current_password": issued, "new_password": "short"}
    )
    assert short.status_code == 422
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": issued, "new_password": "a much better passphrase"},
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/persons", params={"birth_year": 1960}).status_code == 200


def test_changing_requests_by_cookie_need_the_csrf_token_and_bearer_ones_do_not(web_app):
    client = sign_in(web_app, "registrar-user")
    token = client.cookies.get(COOKIE)
    csrf = client.headers.pop("X-CSRF-Token")
    body = {"changes": {}}
    refused = client.post("/api/v1/sources/1/check", json=body)
    assert refused.status_code == 403 and "form" in refused.json()["message"]
    client.headers["X-CSRF-Token"] = csrf
    assert client.post("/api/v1/sources/1/check", json=body).status_code == 200
    bearer = TestClient(web_app)
    answer = bearer.post(
        "/api/v1/sources/1/check", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200


def test_signing_out_ends_the_session(web_app):
    client = sign_in(web_app, "analyst-user")
    assert client.get("/api/v1/me").json()["role"] == "analyst"
    assert client.delete("/api/v1/session").status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(web_app, web_registry):
    name, _ = _new_user(web_registry)
    client = sign_in(web_app, name)
    admin = sign_in(web_app, "admin-user")
    assert admin.post(f"/api/v1/users/{name}/deactivate").json()["active"] is False
    assert client.get("/api/v1/me").status_code == 401
    again = TestClient(web_app).post(
        "/api/v1/session", json={"username": name, "password": PASSWORD}
    )
    assert again.status_code == 401


def test_the_login_form_refuses_a_post_without_its_own_csrf_cookie(web_app):
    client = TestClient(web_app)
    answer = client.post(
        "/login", data={"username": "registrar-user", "password": PASSWORD, "csrf_token": "x"}
    )
    assert answer.status_code == 403
    form = client.get("/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed = client.post(
        "/login",
        data={"username": "registrar-user", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    assert COOKIE in signed.headers["set-cookie"]


def test_after_sign_in_a_redirect_goes_only_to_a_local_page(web_app):
    client = TestClient(web_app)
    form = client.get("/login", params={"next": "https://evil.example/x"})
    assert 'name="next" value="/"' in form.text


def test_pages_answer_with_security_headers(web_app):
    answer = TestClient(web_app).get("/login")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    refused = TestClient(web_app).get("/api/v1/persons")  # errors too
    assert refused.status_code == 401 and refused.headers["x-frame-options"] == "DENY"
    static = TestClient(web_app).get("/static/oncoreg.css")  # static files may be cached
    assert static.status_code == 200 and "cache-control" not in static.headers
    assert static.headers["x-content-type-options"] == "nosniff"
