"""Alembic, one history per service: `upgrade()` from code, `run_env()` for each env.py."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from billing_shared.db.engine import make_engine


def migrations_dir(package: str) -> Path:
    """A service's Alembic history: the `migrations` folder of its package."""
    return Path(str(resources.files(package) / "migrations"))


def migrate(package: str, url: str, revision: str = "head") -> None:
    """Bring `url`'s database to `revision` of `package`'s history (e.g. `migrate("orders", url)`)."""
    upgrade(migrations_dir(package), url, revision)


def config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["url"] = url
    return cfg


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    command.upgrade(config(migrations_dir, url), revision)


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(str(url))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
