"""The lead store's handle: an engine that survives outages, sessions, lazy migration and one outage error."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from serving.store import migrate

if TYPE_CHECKING:
    from serving.settings import Settings

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The database cannot be reached (or is busy) right now; the caller should retry later. Nothing was written."""


@dataclass(frozen=True)
class LeadFields:
    """Which payload fields hold a lead's source, campaign and sales owner (read when present)."""

    source: str = "lead_source"
    campaign: str = "utm_campaign"
    owner: str = "owner"


def first_line(error: BaseException) -> str:
    """The driver's own message without SQLAlchemy's SQL and background links."""
    inner = getattr(error, "orig", None) or error
    text = str(inner).strip()
    return (text.splitlines()[0] if text else type(inner).__name__)[:300]


def make_engine(url: str, connect_timeout: float = 5.0) -> Engine:
    """An engine that checks each pooled connection before use, so a restarted database is picked up again."""
    backend = make_url(url).get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": connect_timeout}
    elif backend == "postgresql":
        connect_args = {"connect_timeout": max(1, round(connect_timeout))}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if backend == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


class LeadStore:
    """The store behind the lead, queue, outcome and report functions; create once, share across threads."""

    def __init__(self, url: str, fields: LeadFields | None = None, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.fields = fields or LeadFields()
        self.engine = make_engine(url, connect_timeout)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrated = False
        self.last_error: str | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision once; raises StoreUnavailable when the database is out of reach."""
        if self.migrated:
            return
        with self._lock:
            if self.migrated:
                return
            try:
                migrate.upgrade(self.engine)
            except (OperationalError, InterfaceError) as error:
                self.last_error = first_line(error)
                raise StoreUnavailable(f"lead store unreachable: {self.last_error}") from error
            self.migrated, self.last_error = True, None
            log.info("lead store at revision %s (%s)", migrate.head(), self.backend)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error; outages become StoreUnavailable."""
        self.migrate()
        try:
            with self.sessions.begin() as session:
                yield session
        except (OperationalError, InterfaceError) as error:
            self.last_error = first_line(error)
            raise StoreUnavailable(f"lead store unreachable: {self.last_error}") from error
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            self.last_error = first_line(error)
            raise StoreUnavailable(f"lead store connection lost: {self.last_error}") from error

    def close(self) -> None:
        self.engine.dispose()


def open_lead_store(settings: Settings) -> LeadStore:
    """The lead store the service's settings name (nothing is connected until first use): the API and the command
    line open it the same way."""
    fields = LeadFields(
        source=settings.source_field, campaign=settings.campaign_field, owner=settings.owner_field
    )
    return LeadStore(settings.database_url, fields, connect_timeout=settings.database_connect_timeout)
