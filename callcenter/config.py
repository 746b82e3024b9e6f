"""The engine's configuration: one YAML file, validated before anything starts.

Every setting is declared once in ``SCHEMA`` (type, default, environment
override, one line of documentation); ``callcenter.example.yaml`` documents
the same settings for operators and a test keeps the two in step.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callcenter.yamlsource import Position, SourcedDocument, YamlSyntaxError, load_file

log = logging.getLogger(__name__)

DEFAULT_CONFIG_FILE = Path(__file__).with_name("default.yaml")
FREESWITCH_DEFAULT_PASSWORD = "ClueCon"
REQUIRED = object()


@dataclass(frozen=True)
class Setting:
    kind: type | tuple[type, ...]
    default: Any = REQUIRED
    env: str | None = None
    path: bool = False  # a filesystem path, resolved against the base directory
    choices: tuple[str, ...] = ()
    minimum: float | None = None


SCHEMA: dict[str, dict[str, Setting]] = {
    "general": {
        "data_directory": Setting(str, "data", env="CALLCENTER_DATA_DIR", path=True),
        "log_level": Setting(str, "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
        "timezone": Setting(str, "Asia/Shanghai"),
    },
    "switch": {
        "kind": Setting(str, "simulator", choices=("freeswitch", "simulator")),
        "host": Setting(str, "127.0.0.1"),
        "port": Setting(int, 8021, minimum=1),
        "password": Setting(str, REQUIRED, env="CALLCENTER_ESL_PASSWORD"),
        "allow_default_password": Setting(bool, False),
        "connect_timeout": Setting((int, float), 5.0, minimum=0.1),
        "api_timeout": Setting((int, float), 5.0, minimum=0.1),
        "application_timeout": Setting((int, float), 30.0, minimum=0.1),
        "overload_lag_seconds": Setting((int, float), 2.0, minimum=0.1),
        "overload_calls_in_ivr": Setting(int, 5000, minimum=1),
        # the deployed kit's directory/users, kept by the engine (empty: not managed)
        "sip_directory": Setting(str, ""),
    },
    "database": {
        "url": Setting(str, "", env="CALLCENTER_DATABASE_URL"),
    },
    "web": {
        "bind": Setting(str, "127.0.0.1"),
        "port": Setting(int, 8080, minimum=1),
        # empty: generated on first start and kept in the data directory
        "secret_key": Setting(str, "", env="CALLCENTER_SECRET_KEY"),
        "secure_cookies": Setting(bool, False),
    },
    "recordings": {
        "directory": Setting(str, "data/recordings", path=True),
        "retention_days": Setting(int, 90, minimum=90),
        # the same folder as seen by FreeSWITCH on its host; empty: the switch shares this machine
        "switch_directory": Setting(str, ""),
        "agents_hear_own": Setting(bool, False),  # agents may play their own calls' recordings
    },
    "ivr": {
        "flows_directory": Setting(str, "ivr_flows", path=True),
        "prompts_directory": Setting(str, "data/prompts", path=True),
        "languages": Setting(list, ["zh", "en"]),
        "numbers": Setting(dict, {"10000": {"flow": "main", "need": None}}),
    },
    "acd": {
        "queues_file": Setting(str, "acd/queues.yaml", path=True),
    },
    "qa": {
        "scorecards_directory": Setting(str, "scorecards", path=True),
        "sample_per_agent_per_week": Setting(int, 2, minimum=0),
        "sample_survey_scores": Setting(list, [1, 2]),
        "sample_dispositions": Setting(list, ["complaint"]),
    },
    "reports": {
        "interval_minutes": Setting(int, 30, minimum=1),  # 15, 30 or 60: checked by reports
        "short_abandon_seconds": Setting((int, float), 5, minimum=0),
        "count_short_abandons": Setting(bool, False),
        "longest_wait_alert_seconds": Setting((int, float), 60, minimum=1),
        "not_ready_alert_seconds": Setting((int, float), 900, minimum=1),
        # empty: no read-only wallboard link; else /wallboard/screen/<key> needs no login
        "wallboard_key": Setting(str, "", env="CALLCENTER_WALLBOARD_KEY"),
    },
    "metrics": {
        # empty: no /metrics; else its own listener, apart from the console
        "bind": Setting(str, ""),
        "port": Setting(int, 9464, minimum=1),
    },
    "tickets": {
        # empty: the shipped callcenter/tickets/dispatch.yaml
        "rules_file": Setting(str, ""),  # relative: to the configuration file
        # how often the engine sweeps the answer-back deadlines and forwards the outbox
        "timer_seconds": Setting((int, float), 60, minimum=0.1),
        # rule 7: a caller with a ticket opened this many days ago or less, still open,
        # is offered to its owner first (if ready) for owner_wait_seconds; 0: off
        "repeat_caller_days": Setting(int, 7, minimum=0),
        "owner_wait_seconds": Setting((int, float), 20, minimum=1),
    },
    "callbacks": {
        # the campaign file of kind callbacks whose windows, holidays, attempts and retry
        # delays callback requests follow; empty: the shipped campaigns/callbacks.yaml
        "policy_file": Setting(str, ""),  # relative: to the configuration file
    },
    "demo": {
        "calls_per_minute": Setting((int, float), 6, minimum=0),
        "simulated_agents": Setting(int, 9, minimum=0),
        "free_seats": Setting(int, 3, minimum=0),
    },
}

# settings that were removed: a file still setting one is refused with what to do instead
REMOVED: dict[tuple[str, str], str] = {
    ("qa", "teams"): "teams, their members and leads are managed in the console "
                     "(Admin → Agents → Teams); remove qa.teams from the configuration",
}

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a mapping"}


class ConfigError(Exception):
    """A configuration problem; ``str()`` names the file, line and key."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Section:
    """Read-only attribute access to one validated section."""

    def __init__(self, name: str, values: dict[str, Any]):
        self._name = name
        self._values = values

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"{self._name}.{key}") from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


@dataclass(frozen=True)
class Config:
    source: str
    base_directory: Path
    sections: dict[str, Section]

    def __getattr__(self, name: str) -> Section:
        try:
            return self.sections[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def database_url(self) -> str:
        url = self.sections["database"].url
        if url:
            return url
        return f"sqlite:///{Path(self.sections['general'].data_directory) / 'callcenter.db'}"


def config_file_from(argument: str | None) -> Path:
    chosen = argument or os.environ.get("CALLCENTER_CONFIG")
    return Path(chosen) if chosen else DEFAULT_CONFIG_FILE


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Load, apply environment overrides, validate. Raises ConfigError."""
    path = Path(path) if path else DEFAULT_CONFIG_FILE
    environ = os.environ if environ is None else environ
    try:
        document = load_file(path)
    except FileNotFoundError:
        raise ConfigError([f"{path}: configuration file not found"]) from None
    except YamlSyntaxError as exc:
        raise ConfigError([str(exc)]) from None
    base = Path.cwd() if path.resolve() == DEFAULT_CONFIG_FILE.resolve() else path.resolve().parent
    config = _validate(document, base, environ)
    _check_switch_password(config, document)
    return config


def _validate(document: SourcedDocument, base: Path, environ: dict[str, str]) -> Config:
    problems: list[str] = []
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError([f"{document.where(())}: the configuration must be a mapping of sections"])
    for name in data:
        if name not in SCHEMA:
            problems.append(f"{document.where((name,))}: unknown section '{name}' "
                            f"(known: {', '.join(SCHEMA)})")
    sections: dict[str, Section] = {}
    for name, settings in SCHEMA.items():
        given = data.get(name, {})
        if given is None:
            given = {}
        if not isinstance(given, dict):
            problems.append(f"{document.where((name,))}: section '{name}' must be a mapping")
            given = {}
        for key in given:
            if (name, key) in REMOVED:
                problems.append(f"{document.where((name, key))}: the setting '{name}.{key}' "
                                f"was removed: {REMOVED[name, key]}")
            elif key not in settings:
                problems.append(f"{document.where((name, key))}: unknown key '{name}.{key}' "
                                f"(known: {', '.join(settings)})")
        values = {}
        for key, setting in settings.items():
            value, problem = _resolve(document, name, key, setting, given, environ, base)
            if problem:
                problems.append(problem)
            values[key] = value
        sections[name] = Section(name, values)
    if problems:
        raise ConfigError(problems)
    return Config(document.file, base, sections)


def _resolve(document: SourcedDocument, section: str, key: str, setting: Setting,
             given: dict[str, Any], environ: dict[str, str], base: Path) -> tuple[Any, str | None]:
    dotted = f"{section}.{key}"
    where: Position = document.where((section, key))
    if setting.env and environ.get(setting.env):
        value = environ[setting.env]
        where_text = f"environment variable {setting.env}"
    elif key in given:
        value = given[key]
        where_text = str(where)
    elif setting.default is REQUIRED:
        return None, (f"{document.where((section,))}: missing value for '{dotted}'"
                      + (f" (set it in the file or in {setting.env})" if setting.env else ""))
    else:
        value = setting.default
        where_text = "default"
    if isinstance(value, bool) and setting.kind is not bool and bool not in _as_tuple(setting.kind):
        return None, f"{where_text}: '{dotted}' must be {_type_name(setting.kind)}, got {value!r}"
    if isinstance(value, str) and where_text.startswith("environment") and setting.kind is int:
        value = int(value) if value.isdigit() else value
    if not isinstance(value, setting.kind):
        return None, f"{where_text}: '{dotted}' must be {_type_name(setting.kind)}, got {value!r}"
    if setting.choices and value not in setting.choices:
        return None, f"{where_text}: '{dotted}' must be one of {', '.join(setting.choices)}, got {value!r}"
    if setting.minimum is not None and value < setting.minimum:
        return None, f"{where_text}: '{dotted}' must be at least {setting.minimum}, got {value!r}"
    if isinstance(value, str) and not value and setting.default is REQUIRED:
        return None, f"{where_text}: '{dotted}' must not be empty"
    if setting.path:
        value = str((base / value).resolve()) if not Path(value).is_absolute() else value
    return value, None


def _check_switch_password(config: Config, document: SourcedDocument) -> None:
    switch = config.switch
    if switch.kind != "freeswitch" or switch.password != FREESWITCH_DEFAULT_PASSWORD:
        return
    if not switch.allow_default_password:
        raise ConfigError([
            f"{document.where(('switch', 'password'))}: 'switch.password' is FreeSWITCH's well-known "
            f"default '{FREESWITCH_DEFAULT_PASSWORD}'; anyone who reaches the event socket could "
            "control every call. Set a strong password in event_socket.conf and here (or in "
            "CALLCENTER_ESL_PASSWORD); for a lab only, set 'switch.allow_default_password: true'."])


def warn_about_lab_settings(config: Config) -> None:
    """Called at every start, so a lab flag left on in production is seen."""
    switch = config.switch
    if switch.kind == "freeswitch" and switch.allow_default_password and \
            switch.password == FREESWITCH_DEFAULT_PASSWORD:
        log.warning("switch.allow_default_password is true and the ESL password is FreeSWITCH's "
                    "default 'ClueCon': this is a lab setting, never use it in production")


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _type_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in _as_tuple(kind))
