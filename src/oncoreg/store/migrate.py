"""Alembic migrations of the store, run from code (no alembic.ini needed)."""

from __future__ import annotations

import importlib.util
from importlib import resources
from types import ModuleType

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from oncoreg.store.database import Store


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("oncoreg.store") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    return cfg


def upgrade(store: Store, revision: str = "head") -> str | None:
    """Migrate the database to ``revision``; returns the revision now current."""
    cfg = alembic_config(store)
    with store.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    return current_revision(store)


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(store: Store) -> str | None:
    return ScriptDirectory.from_config(alembic_config(store)).get_current_head()


def migration_module(name: str) -> ModuleType:
    """The migration script ``name`` (e.g. ``0011_source_names``) as a module, for a later
    migration that repeats or undoes part of it (their file names are not importable)."""
    path = resources.files("oncoreg.store") / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"oncoreg_migration_{name}", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
