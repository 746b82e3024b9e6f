"""`callcenter freeswitch check`: is a FreeSWITCH configuration kit safe and
consistent with the engine?

The kit is assembled as FreeSWITCH would (see :mod:`preprocess`), then each
rule (below: modules, limits, event socket; in :mod:`exposure`: SIP profiles
and dialplan reachability) looks at one concern and returns the problems it
found, each naming a file and a line. A kit with no problem is ready to run.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from callcenter.freeswitch.exposure import rule_dialplan, rule_gateways, rule_sip_profiles
from callcenter.freeswitch.facts import KitFacts, Rule
from callcenter.freeswitch.preprocess import Node, Problem, assemble

FREESWITCH_DEFAULT_PASSWORD = "ClueCon"

REQUIRED_MODULES = ("mod_console", "mod_logfile", "mod_event_socket", "mod_sofia", "mod_loopback",
                    "mod_commands", "mod_dptools", "mod_db", "mod_hash", "mod_dialplan_xml",
                    "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_local_stream",
                    "mod_say_en", "mod_say_zh")
CDR_MODULES = ("mod_cdr_csv", "mod_xml_cdr")

LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class KitReport:
    """What `check` found: problems to fix, and facts worth printing."""
    kit_dir: Path
    problems: tuple[Problem, ...]
    hotline_numbers: tuple[str, ...]
    modules: tuple[str, ...]
    esl_port: int | None

    @property
    def ok(self) -> bool:
        return not self.problems


def check_kit(kit_dir: Path, engine_port: int | None = None,
              environ: Mapping[str, str] | None = None) -> KitReport:
    """Check the kit in ``kit_dir`` (the directory holding freeswitch.xml).

    ``engine_port`` is the engine's switch.port, compared with the event socket's
    listen-port; ``environ`` is the environment FreeSWITCH would start with
    (env-set variables, e.g. CALLCENTER_ESL_PASSWORD)."""
    assembly = assemble(kit_dir, environ)
    facts = KitFacts(assembly, engine_port, [], [])
    problems = list(assembly.problems)
    if assembly.root is not None and not _malformed(problems):
        for rule in RULES:
            problems.extend(rule(facts))
    return KitReport(kit_dir, tuple(problems), tuple(facts.hotline_numbers), tuple(facts.modules),
                     facts.esl_port)


def _malformed(problems: list[Problem]) -> bool:
    return any(problem.message.startswith("malformed XML") for problem in problems)


def rule_modules(facts: KitFacts) -> list[Problem]:
    config = facts.configuration("modules.conf")
    if config is None:
        return [Problem(facts.root.file, facts.root.line,
                        "no modules.conf configuration: FreeSWITCH would load no module")]
    facts.modules = [node.get("module") or "" for node in config.iter("load")]
    missing = [name for name in REQUIRED_MODULES if name not in facts.modules]
    if not any(name in facts.modules for name in CDR_MODULES):
        missing.append(" or ".join(CDR_MODULES))
    return [Problem(config.file, config.line, f"module {name} is not loaded (add <load module=\"{name}\"/>)")
            for name in missing]


def rule_switch_limits(facts: KitFacts) -> list[Problem]:
    config = facts.configuration("switch.conf")
    if config is None:
        return [Problem(facts.root.file, facts.root.line, "no switch.conf configuration")]
    problems = []
    params = config.params()
    for name in ("max-sessions", "sessions-per-second"):
        node = params.get(name)
        value = node.get("value") if node else None
        if node is None:
            problems.append(Problem(config.file, config.line, f"switch.conf has no {name}"))
        elif not (value or "").isdigit() or int(value) < 1:
            problems.append(Problem(node.file, node.line,
                                    f"switch.conf {name} must be a positive number, got {value!r}"
                                    f"{facts.where_set(node, 'value')}"))
    return problems


def rule_event_socket(facts: KitFacts) -> list[Problem]:
    config = facts.configuration("event_socket.conf")
    if config is None:
        return [Problem(facts.root.file, facts.root.line,
                        "no event_socket.conf configuration: the engine could not connect")]
    params = config.params()
    problems: list[Problem] = []
    problems += _check_loopback(facts, config, params.get("listen-ip"))
    problems += _check_password(facts, config, params.get("password"))
    problems += _check_esl_port(facts, config, params.get("listen-port"))
    return problems


def _check_loopback(facts: KitFacts, config: Node, node: Node | None) -> list[Problem]:
    if node is None:
        return [Problem(config.file, config.line, "event socket has no listen-ip; set it to 127.0.0.1")]
    value = node.get("value") or ""
    try:
        loopback = ip_address(value.strip("[]")).is_loopback
    except ValueError:
        loopback = value in LOOPBACK_NAMES
    if loopback:
        return []
    return [Problem(node.file, node.line,
                    f"event socket listens on {value!r}{facts.where_set(node, 'value')}: it must listen on "
                    "loopback only (127.0.0.1 or ::1), whoever reaches it controls every call")]


def _check_password(facts: KitFacts, config: Node, node: Node | None) -> list[Problem]:
    if node is None:
        return [Problem(config.file, config.line, "event socket has no password")]
    value = node.get("value") or ""
    if value == FREESWITCH_DEFAULT_PASSWORD:
        return [Problem(node.file, node.line,
                        f"event socket password is FreeSWITCH's well-known default 'ClueCon'"
                        f"{facts.where_set(node, 'value')}; set a long random one in "
                        "CALLCENTER_ESL_PASSWORD (the engine refuses 'ClueCon')")]
    if not value:
        return [Problem(node.file, node.line, f"event socket password is empty{facts.where_set(node, 'value')}")]
    return []


def _check_esl_port(facts: KitFacts, config: Node, node: Node | None) -> list[Problem]:
    value = node.get("value") if node is not None else None
    if node is None or not (value or "").isdigit():
        return [Problem(node.file if node else config.file, node.line if node else config.line,
                        f"event socket listen-port must be a number, got {value!r}")]
    facts.esl_port = int(value)
    if facts.engine_port is not None and facts.esl_port != facts.engine_port:
        return [Problem(node.file, node.line,
                        f"event socket listens on port {facts.esl_port}{facts.where_set(node, 'value')} but "
                        f"the engine connects to switch.port {facts.engine_port}; make them equal")]
    return []


RULES: tuple[Rule, ...] = (rule_modules, rule_switch_limits, rule_event_socket, rule_sip_profiles,
                           rule_dialplan, rule_gateways)
