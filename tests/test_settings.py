"""Settings: defaults, refusal of unsafe secrets, the secret file, docs in step."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from oncoreg.errors import ConfigError
from oncoreg.settings import Settings, docs_table, ensure_secret_file, get_settings, sqlite_path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults():
    settings = get_settings()
    assert settings.database_url == "sqlite:///oncoreg.db"
    assert settings.secret_key is None


def test_environment_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("ONCOREG_DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    monkeypatch.setenv("ONCOREG_SECRET_KEY", "k" * 8 + "0123456789abcdef0123456789")
    settings = Settings()
    assert settings.database_url.endswith("/r.db")
    assert settings.secret() == "k" * 8 + "0123456789abcdef0123456789"


@pytest.mark.parametrize("weak", ["changeme", "secret", "", "short-but-not-default"])
def test_weak_or_default_secrets_are_refused(monkeypatch, weak):
    monkeypatch.setenv("ONCOREG_SECRET_KEY", weak)
    with pytest.raises(ConfigError):
        Settings().secret()


def test_missing_secret_says_how_to_fix(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/r.db")
    with pytest.raises(ConfigError) as info:
        settings.secret()
    assert "oncoreg init" in info.value.hint


def test_secret_file_is_private_and_kept(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/sub/r.db")
    path = ensure_secret_file(settings)
    assert path == tmp_path / "sub" / "oncoreg.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = settings.secret()
    assert len(first) == 64
    assert ensure_secret_file(settings) is None  # idempotent: the secret is never replaced
    assert settings.secret() == first


def test_configured_secret_writes_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ONCOREG_SECRET_KEY", "z" * 40)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/r.db")
    assert ensure_secret_file(settings) is None
    assert not (tmp_path / "oncoreg.secret").exists()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///oncoreg.db", Path("oncoreg.db")),
        ("sqlite:////abs/r.db", Path("/abs/r.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://h/db", None),
    ],
)
def test_sqlite_path(url, path):
    assert sqlite_path(url) == path


def test_readme_documents_every_setting():
    text = README.read_text(encoding="utf-8")
    for name, info in Settings.model_fields.items():
        assert f"ONCOREG_{name.upper()}" in text, name
        assert info.description
    assert docs_table() in text
