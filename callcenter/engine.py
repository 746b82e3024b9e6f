"""The composition root: builds the engine's parts from the configuration."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from callcenter import __version__, db
from callcenter.config import Config, warn_about_lab_settings
from callcenter.secrets_store import console_secret_key

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the web layer may use of the engine."""

    config: Config
    db_engine: Engine
    sessions: sessionmaker[Session]
    secret_key: str
    switch_state: Callable[[], str] = lambda: "not connected"
    extras: dict[str, Any] = field(default_factory=dict)

    def health(self) -> dict[str, Any]:
        database = {"backend": self.db_engine.dialect.name, "reachable": False,
                    "schema_current": False, "revision": None}
        try:
            with self.db_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            database["reachable"] = True
            database["revision"] = db.current_revision(self.db_engine)
            database["schema_current"] = database["revision"] == db.head_revision()
        except Exception as exc:  # reported, not raised: this is the health page
            database["error"] = str(exc).splitlines()[0]
        switch = {"kind": self.config.switch.kind, "state": self.switch_state()}
        ok = database["reachable"] and database["schema_current"]
        return {"ok": ok, "version": __version__, "database": database, "switch": switch}


def build_services(config: Config) -> Services:
    warn_about_lab_settings(config)
    engine = db.make_engine(config.database_url)
    db.check_schema_current(engine)
    secret = console_secret_key(config.web.secret_key, config.general.data_directory)
    return Services(config=config, db_engine=engine, sessions=db.session_factory(engine),
                    secret_key=secret)
