"""The database engine: SQLite under the data directory by default, PostgreSQL via `DATABASE_URL`.

SQLite runs in WAL mode with `synchronous=FULL`, so a save acknowledged to a client survives a
killed process or a power cut. The schema is brought to the newest Alembic revision when a
process first opens a database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from server.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL for these settings; a bare `postgresql://` uses the psycopg 3 driver."""
    url = settings.database_url
    if not url:
        return f"sqlite:///{Path(settings.data_dir).resolve() / 'torchcanvas.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun by `_sqlite_begin`, not by pysqlite
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """Takes the write lock at BEGIN, so a read-then-write transaction never fails half-way."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _new_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Applies every Alembic migration not yet applied to this database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def get_engine(settings: Settings) -> Engine:
    """One engine per database for the life of the process, migrated on first use."""
    url = database_url(settings)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _new_engine(url)
            migrate(engine)
            _engines[url] = engine
    return engine


@contextmanager
def session(settings: Settings) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back when it raises."""
    with Session(get_engine(settings), expire_on_commit=False) as s, s.begin():
        yield s
