"""One typed settings object, read from the environment (prefix ``ONCOREG_``).

Every setting has a default and a help text; ``docs_table()`` renders them for the
README, and a test keeps README and settings in step. Nothing is read at import time:
call :func:`get_settings`.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from oncoreg.errors import ConfigError

# Values that appear in tutorials, templates and leaked configs: never accepted.
WELL_KNOWN_SECRETS = frozenset(
    {
        "",
        "secret",
        "changeme",
        "change-me",
        "password",
        "oncoreg",
        "default",
        "dev",
        "test",
        "your-secret-key",
        "supersecret",
        "please-change-me",
        "insecure",
    }
)
MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "oncoreg.secret"


class Settings(BaseSettings):
    """oncoreg's settings; each is also an environment variable ``ONCOREG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ONCOREG_", extra="ignore")

    database_url: str = Field(
        "sqlite:///oncoreg.db",
        description="SQLAlchemy URL of the registry store. Default: the SQLite file "
        "oncoreg.db in the working directory; PostgreSQL as postgresql+psycopg://user@host/db.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Registry secret: keys the identifier hashes (HMAC) and signs sessions. "
        "If unset, read from the secret file that `oncoreg init` writes (mode 0600).",
    )
    secret_file: Path | None = Field(
        None,
        description="Where the registry secret is kept when ONCOREG_SECRET_KEY is unset. "
        "Default: oncoreg.secret beside the SQLite file, else in the working directory.",
    )
    codes_dir: Path | None = Field(
        None,
        description="Folder of the registry's own official dictionary files; a file there "
        "with the name of a shipped table (e.g. topography.tsv) overrides that table.",
    )
    link_backend: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="Splink backend of `oncoreg link`: duckdb (one machine) or spark (needs "
        "the oncoreg[spark] extra and a Java runtime).",
    )
    session_hours: float = Field(
        12.0,
        gt=0,
        description="How long a web sign-in lasts before the user must sign in again.",
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Mark the session cookie Secure: auto (when the request came over HTTPS, "
        "also behind a proxy that sets X-Forwarded-Proto), always, or never.",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins allowed per user name (and per client address) in 15 "
        "minutes; further attempts are refused until the window has passed.",
    )
    small_cells: int = Field(
        5,
        ge=0,
        description="Published tables shown to roles below registrar suppress cells with "
        "fewer cases than this (0: no suppression).",
    )

    def resolved_secret_file(self) -> Path:
        if self.secret_file is not None:
            return self.secret_file
        db_path = sqlite_path(self.database_url)
        base = db_path.parent if db_path is not None else Path.cwd()
        return base / SECRET_FILE_NAME

    def secret(self) -> str:
        """The registry secret; refuses a missing or well-known one."""
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value()
            origin = "ONCOREG_SECRET_KEY"
        else:
            path = self.resolved_secret_file()
            if not path.exists():
                raise ConfigError(
                    "no registry secret is set",
                    hint=f"run `oncoreg init` to create {path} or set ONCOREG_SECRET_KEY",
                )
            value = path.read_text(encoding="utf-8").strip()
            origin = str(path)
        check_secret(value, origin)
        return value


def check_secret(value: str, origin: str) -> None:
    if value.strip().lower() in WELL_KNOWN_SECRETS:
        raise ConfigError(
            f"the secret from {origin} is a well-known default",
            hint="generate one with `oncoreg init` or `openssl rand -hex 32`",
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"the secret from {origin} is shorter than {MIN_SECRET_LENGTH} characters",
            hint="generate one with `oncoreg init` or `openssl rand -hex 32`",
        )


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None for other databases and in-memory."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def ensure_secret_file(settings: Settings) -> Path | None:
    """Create the registry secret file (mode 0600) unless a secret is configured.

    Returns the path written, or None when nothing had to be written.
    """
    if settings.secret_key is not None:
        settings.secret()
        return None
    path = settings.resolved_secret_file()
    if path.exists():
        settings.secret()
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path


@lru_cache
def get_settings() -> Settings:
    return Settings()


def docs_table() -> str:
    """A Markdown table of every setting: variable, default, help."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = "(none)" if info.default is None else f"`{info.default}`"
        rows.append(f"| `ONCOREG_{name.upper()}` | {default} | {info.description} |")
    return "\n".join(rows)
