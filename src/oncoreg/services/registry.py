"""Creating and migrating a registry: the database, its secret and its reference rows."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from oncoreg.codes.provinces import provinces
from oncoreg.settings import Settings, ensure_secret_file, get_settings
from oncoreg.store import Province, Store, upgrade


@dataclass(frozen=True)
class InitResult:
    database_url: str
    revision: str | None
    secret_written: Path | None
    provinces_added: int


def init_registry(settings: Settings | None = None) -> InitResult:
    """Create or migrate the registry named by the settings. Idempotent.

    Writes the registry secret (mode 0600) if none is configured, migrates the database
    to the newest revision and loads the province table of both eras.
    """
    settings = settings or get_settings()
    written = ensure_secret_file(settings)
    store = Store.from_settings(settings)
    try:
        revision = upgrade(store)
        added = seed_provinces(store)
    finally:
        store.dispose()
    return InitResult(settings.database_url, revision, written, added)


def seed_provinces(store: Store) -> int:
    """Add the provinces of both eras that the database lacks; returns how many."""
    with store.session(actor="oncoreg init") as session:
        have = set(session.execute(select(Province.era, Province.code)).tuples())
        missing = [
            p for era in ("2004", "2025") for p in provinces(era) if (era, p.code) not in have
        ]
        session.add_all(
            Province(
                era=p.era, code=p.code, name_vi=p.name_vi, name_en=p.name_en, new_code=p.new_code
            )
            for p in missing
        )
    return len(missing)


def demo_facilities_file() -> Path:
    """The demo facility list shipped with oncoreg (public institutions, demo codes)."""
    return Path(str(resources.files("oncoreg.demo") / "facilities.csv"))
