"""Bulk agent import: a CSV roster checked in full, then written in one transaction.

Three stages, so that a bad file changes nothing and costs no hashing:

1. ``parse_roster(text, roster)``: every row's fields, then the rules across rows
   and against the database snapshot (``Roster``); every problem is collected
   with its line and field. Pure: no database, no hashing.
2. ``hash_credentials(rows)``: the console password (scrypt, slow on purpose) and
   the SIP digest a1-hash, exactly as the seed and the admin console store them;
   on several threads, since scrypt releases the GIL.
3. ``apply_rows(session, rows, credentials)``: creates and updates in the
   caller's transaction.

Columns (header row required; order free): ``login`` and ``name`` always;
``extension``, ``role`` (agent, supervisor, qa, admin), ``password``,
``sip_password`` (the phone's, never the console password: without it the phone has
no SIP password until an admin sets or generates one in the console),
``skills`` (``billing:9;general:5``), ``language``, ``active`` (yes / no),
``team`` (a team's key, created in the console).
An empty cell keeps an existing agent's value, except ``skills``: when the
column is there, the cell is the agent's whole skill set (empty: none).
"""
from __future__ import annotations

import csv
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callcenter.freeswitch.directory import EXTENSION
from callcenter.models import Agent, AgentSkill, Role, Skill, Team
from callcenter.security import hash_password, sip_a1_hash
from callcenter.seed import SIP_REALM
from web.staff import LANGUAGES, LOGIN

COLUMNS = ("login", "name", "extension", "role", "password", "sip_password", "skills",
           "language", "active", "team")
REQUIRED_COLUMNS = ("login", "name")
MIN_PASSWORD = 8  # callcenter.security.hash_password's rule
SKILL_ITEM = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*:\s*(\S+)\s*$")
YES, NO = ("yes", "y", "true", "1", "on"), ("no", "n", "false", "0", "off")


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    reason: str

    def describe(self, source: str) -> str:
        return f"{source}:{self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class KnownAgent:
    extension: str | None
    has_sip_hash: bool


@dataclass(frozen=True)
class Roster:
    """What the database holds, as far as the rules need it."""
    agents: Mapping[str, KnownAgent]      # by login
    skills: frozenset[str]
    teams: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AgentRow:
    """One valid row. None: the cell was empty or the column absent (keep / default)."""
    line: int
    login: str
    name: str
    extension: str | None = None
    role: Role | None = None
    password: str | None = None
    sip_password: str | None = None
    skills: Mapping[str, int] | None = None
    language: str | None = None
    active: bool | None = None
    team: str | None = None
    exists: bool = False
    invalid: frozenset[str] = frozenset()   # fields with a problem: left out of the checks across rows

    @property
    def sip_secret(self) -> str | None:
        return self.sip_password


@dataclass(frozen=True)
class Credentials:
    password_hash: str | None
    a1_hash: str | None


@dataclass
class ImportResult:
    rows: list[AgentRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def created(self) -> list[str]:
        return [row.login for row in self.rows if not row.exists]

    @property
    def updated(self) -> list[str]:
        return [row.login for row in self.rows if row.exists]


# --- stage 1: parse and check ---------------------------------------------------------

def parse_roster(text: str, roster: Roster) -> ImportResult:
    result = ImportResult()
    records = list(_records(text))
    if not records:
        result.problems.append(Problem(1, "header", "the file is empty; the first row names "
                                                    "the columns: " + ",".join(COLUMNS)))
        return result
    header_line, header = records[0]
    columns = [name.strip().lower() for name in header]
    result.problems += _header_problems(header_line, columns)
    if result.problems:
        return result
    for line, cells in records[1:]:
        if len(cells) != len(columns):
            result.problems.append(Problem(line, "row", f"{len(cells)} cells, the header has "
                                                        f"{len(columns)}"))
            continue
        row, problems = _row(line, dict(zip(columns, cells)), roster)
        result.problems += problems
        result.rows.append(row)
    result.problems += _across_rows(result.rows, roster)
    result.problems.sort(key=lambda problem: problem.line)
    if result.problems:
        result.rows = []
    return result


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """(first line of the record, cells); blank lines skipped."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    line = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield line, cells
        line = reader.line_num + 1


def _header_problems(line: int, columns: list[str]) -> list[Problem]:
    problems = [Problem(line, "header", f"unknown column {name!r}; the columns are "
                                        + ", ".join(COLUMNS))
                for name in columns if name not in COLUMNS]
    problems += [Problem(line, "header", f"column {name!r} appears twice")
                 for name in sorted({n for n in columns if columns.count(n) > 1})]
    problems += [Problem(line, "header", f"column {name!r} is missing")
                 for name in REQUIRED_COLUMNS if name not in columns]
    return problems


def _row(line: int, cells: Mapping[str, str], roster: Roster) -> tuple[AgentRow, list[Problem]]:
    """The row as far as it can be read, its bad fields named in ``invalid``."""
    problems: list[Problem] = []

    def fail(name: str, reason: str) -> None:
        problems.append(Problem(line, name, reason))

    value = {name: (cells.get(name) or "").strip() for name in COLUMNS}
    login = value["login"].lower()
    if not LOGIN.match(login):
        fail("login", f"{value['login']!r}: 2-60 characters: lower-case letters, digits, _ . - ; "
                      "starting with a letter")
    known = roster.agents.get(login)
    name = value["name"]
    if not name or len(name) > 120:
        fail("name", "a name of 1-120 characters")
    extension = value["extension"] or None
    if extension and not EXTENSION.match(extension):
        fail("extension", f"{extension!r} is not 2 to 15 digits")
    role = _choice(value["role"].lower(), {r.value: r for r in Role}, "role", fail)
    language = _choice(value["language"].lower(), {code: code for code in LANGUAGES}, "language",
                       fail)
    active = _flag(value["active"], fail)
    team = _choice(value["team"].lower(), {key: key for key in sorted(roster.teams)}, "team", fail)
    skills = None if "skills" not in cells else _skills(value["skills"], roster.skills, fail)
    password = cells.get("password") or None
    sip_password = cells.get("sip_password") or None
    row = AgentRow(line, login, name, extension, role, password, sip_password, skills, language,
                   active, team, exists=known is not None)
    problems += _password_problems(row, known)
    return replace(row, invalid=frozenset(problem.field for problem in problems)), problems


def _choice(text: str, allowed: Mapping[str, object], name: str, fail: Callable) -> object | None:
    if not text:
        return None
    if text not in allowed:
        fail(name, f"{text!r} is not one of " + (", ".join(allowed) or "(none yet)"))
        return None
    return allowed[text]


def _flag(text: str, fail: Callable) -> bool | None:
    if not text:
        return None
    if text.lower() in YES or text.lower() in NO:
        return text.lower() in YES
    fail("active", f"{text!r}: yes or no")
    return None


def _skills(text: str, known: frozenset[str], fail: Callable) -> dict[str, int]:
    levels: dict[str, int] = {}
    for item in filter(str.strip, re.split(r"[;|]", text)):
        match = SKILL_ITEM.match(item.lower())
        if not match:
            fail("skills", f"{item.strip()!r}: write skill:level, e.g. billing:9;general:5")
            continue
        skill, level = match.groups()
        if skill not in known:
            fail("skills", f"unknown skill {skill!r}; the skills are "
                           + (", ".join(sorted(known)) or "(none yet: create them in the console)"))
        elif skill in levels:
            fail("skills", f"skill {skill!r} is listed twice")
        elif not level.isdigit() or not 1 <= int(level) <= 10:
            fail("skills", f"{skill}: level {level!r} is not 1 to 10")
        else:
            levels[skill] = int(level)
    return levels


def _password_problems(row: AgentRow, known: KnownAgent | None) -> list[Problem]:
    problems = []
    if known is None and not row.password:
        problems.append(Problem(row.line, "password", "missing: a new agent needs a console "
                                                      "password"))
    for name, secret in (("password", row.password), ("sip_password", row.sip_password)):
        reason = _weak(secret, row) if secret else None
        if reason:
            problems.append(Problem(row.line, name, reason))
    extension = row.extension or (known.extension if known else None)
    if known is not None and extension and not row.sip_secret and _needs_new_a1(row, known):
        problems.append(Problem(row.line, "sip_password", "missing: the SIP a1-hash includes the "
                                                          f"extension, so extension {extension} needs "
                                                          "a new SIP password"))
    return problems


def _weak(secret: str, row: AgentRow) -> str | None:
    if len(secret) < MIN_PASSWORD:
        return f"too weak: at least {MIN_PASSWORD} characters"
    if not secret.strip() or secret.strip().lower() in {row.login, row.extension, row.name.lower()}:
        return "too weak: the same as the login, name or extension"
    return None


def _needs_new_a1(row: AgentRow, known: KnownAgent) -> bool:
    changed = row.extension is not None and row.extension != known.extension
    return changed or not known.has_sip_hash


def _across_rows(rows: list[AgentRow], roster: Roster) -> list[Problem]:
    """Logins and extensions unique in the file, and extensions free in the database
    (an extension may move between agents that are both in the file)."""
    problems = []
    first_login: dict[str, int] = {}
    for row in rows:
        if "login" in row.invalid:
            continue
        if row.login in first_login:
            problems.append(Problem(row.line, "login", f"{row.login!r} is also on line "
                                                       f"{first_login[row.login]}"))
        first_login.setdefault(row.login, row.line)
    holders = {agent.extension: login for login, agent in roster.agents.items() if agent.extension}
    final = {login: agent.extension for login, agent in roster.agents.items()}
    final.update({row.login: row.extension for row in rows if row.extension})
    first_extension: dict[str, int] = {}
    for row in rows:
        if "extension" in row.invalid or "role" in row.invalid:
            continue
        if not row.extension:
            takes_calls = row.role == Role.AGENT or (row.role is None and not row.exists)
            if takes_calls and not final.get(row.login):
                problems.append(Problem(row.line, "extension", "missing: an agent takes calls on a "
                                                               "SIP phone and needs an extension"))
            continue
        if row.extension in first_extension:
            problems.append(Problem(row.line, "extension", f"{row.extension} is also on line "
                                                           f"{first_extension[row.extension]}"))
            continue
        first_extension[row.extension] = row.line
        holder = holders.get(row.extension)
        if holder and holder != row.login and final.get(holder) == row.extension:
            problems.append(Problem(row.line, "extension", f"{row.extension} belongs to agent "
                                                           f"{holder!r} in the database"))
    return problems


def load_roster(session: Session) -> Roster:
    agents = {login: KnownAgent(extension, bool(a1)) for login, extension, a1 in
              session.execute(select(Agent.login, Agent.sip_extension, Agent.sip_a1_hash))}
    return Roster(agents, frozenset(session.scalars(select(Skill.name))),
                  frozenset(session.scalars(select(Team.key))))


# --- stage 2: hashing ------------------------------------------------------------------

def hash_credentials(rows: list[AgentRow], known: Roster, workers: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> dict[str, Credentials]:
    """scrypt costs ~0.1 s a password by design; the a1-hash (md5) costs nothing.
    ``progress(done, total)`` is called every 100 rows."""
    def credentials(row: AgentRow) -> Credentials:
        extension = row.extension or (known.agents[row.login].extension if row.exists else None)
        a1 = sip_a1_hash(extension, SIP_REALM, row.sip_secret) if extension and row.sip_secret \
            else None
        return Credentials(hash_password(row.password) if row.password else None, a1)

    def collect(results: Iterable[Credentials]) -> dict[str, Credentials]:
        out = {}
        for done, (row, result) in enumerate(zip(rows, results), start=1):
            out[row.login] = result
            if progress is not None and (done % 100 == 0 or done == len(rows)):
                progress(done, len(rows))
        return out

    workers = workers or _hash_workers()
    if workers == 1:
        return collect(map(credentials, rows))
    with ThreadPoolExecutor(workers, thread_name_prefix="scrypt") as pool:
        return collect(pool.map(credentials, rows))


def _hash_workers() -> int:
    """Real threads (hashlib.scrypt runs without the GIL); one when gevent has patched
    threading, since greenlets would take turns anyway."""
    from gevent import monkey
    if monkey.is_module_patched("threading"):
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


# --- stage 3: write --------------------------------------------------------------------

def apply_rows(session: Session, rows: list[AgentRow], credentials: Mapping[str, Credentials]) -> None:
    """Create and update in the caller's transaction; the rows have been checked."""
    logins = [row.login for row in rows]
    agents = {agent.login: agent for agent in session.scalars(
        select(Agent).where(Agent.login.in_(logins)).options(selectinload(Agent.skills)))}
    skills = {skill.name: skill for skill in session.scalars(select(Skill))}
    teams = {team.key: team for team in session.scalars(select(Team))}
    _free_moving_extensions(session, rows, agents)
    for row in rows:
        agent = agents.get(row.login)
        if agent is None:
            agent = Agent(login=row.login, display_name=row.name, role=Role.AGENT, active=True)
            session.add(agent)
        _update(agent, row, credentials[row.login], skills)
        if row.team is not None:
            agent.team = teams[row.team]


def _free_moving_extensions(session: Session, rows: list[AgentRow], agents: dict[str, Agent]) -> None:
    """Extensions that change hands: cleared first, so no unique constraint trips midway."""
    moving = [agents[row.login] for row in rows if row.login in agents and row.extension
              and agents[row.login].sip_extension not in (None, row.extension)]
    for agent in moving:
        agent.sip_extension = None
    if moving:
        session.flush()


def _update(agent: Agent, row: AgentRow, credentials: Credentials, skills: Mapping[str, Skill]) -> None:
    agent.display_name = row.name
    for attribute, value in (("role", row.role), ("language", row.language), ("active", row.active),
                             ("sip_extension", row.extension),
                             ("password_hash", credentials.password_hash),
                             ("sip_a1_hash", credentials.a1_hash)):
        if value is not None:
            setattr(agent, attribute, value)
    if credentials.a1_hash is not None:
        agent.sip_password_set_at = datetime.now(timezone.utc)
    if row.skills is not None:
        current = {link.skill_id: link for link in agent.skills}
        wanted = {skills[name].id: level for name, level in row.skills.items()}
        agent.skills = [link for skill_id, link in current.items() if skill_id in wanted]
        for link in agent.skills:
            link.level = wanted[link.skill_id]
        agent.skills += [AgentSkill(skill=skills[name], level=level)
                         for name, level in row.skills.items() if skills[name].id not in current]
