"""`callcenter freeswitch check`: is a FreeSWITCH configuration kit safe and
consistent with the engine?

The kit is assembled as FreeSWITCH would (see :mod:`preprocess`), then each
rule below looks at one concern and returns the problems it found, each
naming a file and a line. A kit with no problem is ready to run.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from callcenter.freeswitch.preprocess import Assembly, Node, Problem, assemble

FREESWITCH_DEFAULT_PASSWORD = "ClueCon"
SIP_REALM = "callcenter"  # callcenter.seed.SIP_REALM: the realm of Agent.sip_a1_hash

REQUIRED_MODULES = ("mod_console", "mod_logfile", "mod_event_socket", "mod_sofia", "mod_loopback",
                    "mod_commands", "mod_dptools", "mod_db", "mod_hash", "mod_dialplan_xml",
                    "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_local_stream",
                    "mod_say_en", "mod_say_zh")
CDR_MODULES = ("mod_cdr_csv", "mod_xml_cdr")

# Applications an unauthenticated caller may run: none of them places a call.
SAFE_APPLICATIONS = frozenset({
    "set", "export", "unset", "answer", "pre_answer", "ring_ready", "park", "playback", "hangup",
    "respond", "log", "info", "sleep", "sched_hangup", "sched_transfer", "transfer", "say",
    "play_and_get_digits", "gentones", "endless_playback"})
REFUSING_APPLICATIONS = frozenset({"hangup", "respond", "log"})
TRANSFERRING_APPLICATIONS = frozenset({"transfer", "sched_transfer"})
# ${name(...)} inside data runs an API command (originate, system, bgapi ...).
API_EXPANSION = re.compile(r"\$\{\s*[A-Za-z_][\w-]*\s*\(")
# Channel variables that make FreeSWITCH run an application or API command later.
HOOK_VARIABLE = re.compile(r"^\s*(execute_on_|api_on_|api_hangup_hook|api_after_bridge|exec_after_bridge|"
                           r"transfer_after_bridge|bridge_pre_execute|[\w]*_execute_on_)", re.IGNORECASE)
# A destination_number condition that matches one fixed number (or, in a context
# reached by transfer only, one fixed name such as cc_fallback).
LITERAL_NUMBER = re.compile(r"^\^?([\w*#+]+)\$$")
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


@dataclass
class KitFacts:
    """What the rules share: the assembled tree and a few looked-up sections."""
    assembly: Assembly
    engine_port: int | None
    hotline_numbers: list[str]
    modules: list[str]
    esl_port: int | None = None

    @property
    def root(self) -> Node:
        assert self.assembly.root is not None
        return self.assembly.root

    def configuration(self, name: str) -> Node | None:
        for node in self.root.iter("configuration"):
            if node.get("name") == name:
                return node
        return None

    def contexts(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for section in self.root.find_children("section"):
            if section.get("name") == "dialplan":
                for context in section.iter("context"):
                    found.setdefault(context.get("name") or "", context)
        return found

    def profiles(self) -> list[Node]:
        sofia = self.configuration("sofia.conf")
        return list(sofia.iter("profile")) if sofia is not None else []

    def where_set(self, node: Node, attr: str) -> str:
        """' (set by $${x} at file:line)' when a variable gave this attribute its value."""
        for name in reversed(node.sources.get(attr, ())):
            variable = self.assembly.variables.get(name)
            if variable is not None and variable.file is not None:
                return f" (from $${{{name}}}, {variable.origin} at {variable.file.name}:{variable.line})"
        return ""


Rule = Callable[[KitFacts], list[Problem]]


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


def rule_sip_profiles(facts: KitFacts) -> list[Problem]:
    profiles = facts.profiles()
    if not profiles:
        return [Problem(facts.root.file, facts.root.line, "no SIP profile in sofia.conf")]
    problems: list[Problem] = []
    ports: dict[str, Node] = {}
    if facts.esl_port is not None:
        ports[str(facts.esl_port)] = facts.configuration("event_socket.conf")  # type: ignore[assignment]
    for profile in profiles:
        params = profile.params()
        port_node = params.get("sip-port")
        port = port_node.get("value") if port_node else "5060"
        if port in ports:
            other = ports[port]
            problems.append(Problem(profile.file, port_node.line if port_node else profile.line,
                                    f"SIP profile {profile.get('name')!r} uses port {port}, already used at "
                                    f"{other.file.name}:{other.line}"))
        ports[port or ""] = port_node or profile
        problems += (_check_authenticated_profile(facts, profile, params) if _authenticates(params)
                     else _check_public_profile(facts, profile, params))
    return problems


def _authenticates(params: dict[str, Node]) -> bool:
    node = params.get("auth-calls")
    return node is not None and (node.get("value") or "").lower() == "true"


def _check_authenticated_profile(facts: KitFacts, profile: Node, params: dict[str, Node]) -> list[Problem]:
    problems = []
    name = profile.get("name")
    for param in ("accept-blind-auth", "accept-blind-reg"):
        node = params.get(param)
        if node is not None and (node.get("value") or "").lower() == "true":
            problems.append(Problem(node.file, node.line,
                                    f"SIP profile {name!r}: {param}=true lets anyone in without a password"))
    acl = params.get("apply-inbound-acl")
    if acl is not None:
        problems.append(Problem(acl.file, acl.line,
                                f"SIP profile {name!r}: apply-inbound-acl skips authentication for the "
                                "listed addresses; agents' phones must always authenticate"))
    realm = params.get("challenge-realm")
    if realm is None or realm.get("value") != SIP_REALM:
        where = realm or profile
        problems.append(Problem(where.file, where.line,
                                f"SIP profile {name!r}: challenge-realm must be {SIP_REALM!r}, the realm of the "
                                f"agents' stored a1-hashes, got {realm.get('value') if realm else None!r}"))
    return problems


def _check_public_profile(facts: KitFacts, profile: Node, params: dict[str, Node]) -> list[Problem]:
    name = profile.get("name")
    acl = params.get("apply-inbound-acl")
    if acl is None:
        return [Problem(profile.file, profile.line,
                        f"SIP profile {name!r} does not authenticate calls and has no apply-inbound-acl: "
                        "anyone on the network could call in; restrict it to the carrier's addresses")]
    lists = _network_lists(facts)
    problems = []
    for list_name in (acl.get("value") or "").split(","):
        if list_name not in lists:
            problems.append(Problem(acl.file, acl.line,
                                    f"SIP profile {name!r}: ACL {list_name!r} is not defined in acl.conf"))
        elif (lists[list_name].get("default") or "").lower() != "deny":
            node = lists[list_name]
            problems.append(Problem(node.file, node.line, f"ACL {list_name!r} must have default=\"deny\""))
    return problems


def _network_lists(facts: KitFacts) -> dict[str, Node]:
    config = facts.configuration("acl.conf")
    if config is None:
        return {}
    return {node.get("name") or "": node for node in config.iter("list")}


def rule_dialplan(facts: KitFacts) -> list[Problem]:
    """Contexts unauthenticated callers land in reach hotline numbers only."""
    contexts = facts.contexts()
    problems: list[Problem] = []
    trusted: set[str] = set()
    untrusted: list[tuple[str, Node]] = []
    entry_contexts: set[str] = set()
    for profile in facts.profiles():
        params = profile.params()
        context_node = params.get("context")
        context = context_node.get("value") if context_node else "public"
        where = context_node or profile
        if context not in contexts:
            problems.append(Problem(where.file, where.line,
                                    f"SIP profile {profile.get('name')!r} sends calls to context {context!r}, "
                                    "which no dialplan file defines"))
        elif _authenticates(params):
            trusted.add(context)
        else:
            untrusted.append((context, where))
            entry_contexts.add(context)
    checked: set[str] = set()
    while untrusted:
        name, came_from = untrusted.pop()
        if name in checked:
            continue
        checked.add(name)
        if name in trusted:
            problems.append(Problem(came_from.file, came_from.line,
                                    f"unauthenticated calls reach the {name!r} context of authenticated phones"))
            continue
        context = contexts.get(name)
        if context is None:
            problems.append(Problem(came_from.file, came_from.line,
                                    f"transfer to context {name!r}, which no dialplan file defines"))
            continue
        for extension in context.iter("extension"):
            found, targets = _check_public_extension(facts, name, extension, name in entry_contexts)
            problems += found
            untrusted += targets
    return problems


def _check_public_extension(facts: KitFacts, context: str, extension: Node,
                            entry: bool) -> tuple[list[Problem], list[tuple[str, Node]]]:
    problems: list[Problem] = []
    targets: list[tuple[str, Node]] = []
    name = extension.get("name")
    actions = [node for node in extension.iter() if node.tag in ("action", "anti-action")]
    numbers = [_literal_number(node) for node in extension.iter("condition")
               if node.get("field") == "destination_number"]
    literal = bool(numbers) and all(numbers)
    refuses_only = all((node.get("application") or "") in REFUSING_APPLICATIONS for node in actions)
    if not literal and not refuses_only:
        condition = next(iter(extension.iter("condition")), extension)
        problems.append(Problem(condition.file, condition.line,
                                f"context {context!r}, extension {name!r}: matches numbers other than a fixed "
                                f"hotline number ({condition.get('expression')!r}) and does more than refuse "
                                "the call; only literal numbers like ^10000$ may be routed here"))
    if literal and entry:
        facts.hotline_numbers.extend(n for n in numbers if n and n not in facts.hotline_numbers)
    for action in actions:
        application = action.get("application") or ""
        data = action.get("data") or ""
        if application not in SAFE_APPLICATIONS:
            problems.append(Problem(action.file, action.line,
                                    f"context {context!r}, extension {name!r}: application {application!r} is "
                                    "not allowed where unauthenticated calls arrive (it could place calls to "
                                    "external numbers or run code)"))
        elif API_EXPANSION.search(data):
            problems.append(Problem(action.file, action.line,
                                    f"context {context!r}, extension {name!r}: {data!r} runs an API command "
                                    "through ${...(...)} expansion"))
        elif application in ("set", "export") and HOOK_VARIABLE.match(data.removeprefix("nolocal:")):
            problems.append(Problem(action.file, action.line,
                                    f"context {context!r}, extension {name!r}: {application} {data!r} makes "
                                    "FreeSWITCH run an application later; not allowed here"))
        if application in TRANSFERRING_APPLICATIONS:
            targets.append((_transfer_context(application, data, context), action))
    return problems, targets


def _literal_number(condition: Node) -> str | None:
    match = LITERAL_NUMBER.match(condition.get("expression") or "")
    return match.group(1) if match else None


def _transfer_context(application: str, data: str, current: str) -> str:
    """The context a transfer lands in: `transfer <ext> [<dialplan> [<context>]]`,
    `sched_transfer +<secs> <ext> [<dialplan> [<context>]]`."""
    words = data.split()
    if application == "sched_transfer":
        words = words[1:]
    return words[2] if len(words) >= 3 else current


RULES: tuple[Rule, ...] = (rule_modules, rule_switch_limits, rule_event_socket, rule_sip_profiles,
                           rule_dialplan)
