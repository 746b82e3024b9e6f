"""Who can reach what: the SIP profiles and the dialplan contexts calls land in.

Agents' phones must always authenticate (realm ``callcenter``); the carrier's
profile must be restricted by an ACL; and every context an unauthenticated
call can reach (directly or by transfer) may route fixed hotline numbers only,
with applications that never place a call (toll-fraud safety).
"""
from __future__ import annotations

import re

from callcenter.freeswitch.facts import KitFacts
from callcenter.freeswitch.preprocess import Node, Problem

SIP_REALM = "callcenter"  # callcenter.seed.SIP_REALM: the realm of Agent.sip_a1_hash

# Applications an unauthenticated caller may run: none of them places a call.
SAFE_APPLICATIONS = frozenset({
    "set", "export", "unset", "answer", "pre_answer", "ring_ready", "park", "playback", "hangup",
    "respond", "log", "info", "sleep", "sched_hangup", "sched_transfer", "transfer", "say",
    "play_and_get_digits", "gentones", "endless_playback", "limit"})
REFUSING_APPLICATIONS = frozenset({"hangup", "respond", "log"})
# `limit` transfers a call over its limit (to limit_exceeded in the same context by default)
TRANSFERRING_APPLICATIONS = frozenset({"transfer", "sched_transfer", "limit"})
# ${name(...)} inside data runs an API command (originate, system, bgapi ...).
API_EXPANSION = re.compile(r"\$\{\s*[A-Za-z_][\w-]*\s*\(")
# Channel variables that make FreeSWITCH run an application or API command later.
HOOK_VARIABLE = re.compile(r"^\s*(execute_on_|api_on_|api_hangup_hook|api_after_bridge|exec_after_bridge|"
                           r"transfer_after_bridge|bridge_pre_execute|[\w]*_execute_on_)", re.IGNORECASE)
# A destination_number condition that matches one fixed number (or, in a context
# reached by transfer only, one fixed name such as cc_fallback).
LITERAL_NUMBER = re.compile(r"^\^?([\w*#+]+)\$$")


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


GATEWAY_DIAL = re.compile(r"(^|[^\w])(sofia/gateway/|sofia/[\w.-]+/[^\s,]*@|gateway/)", re.IGNORECASE)


def rule_gateways(facts: KitFacts) -> list[Problem]:
    """The carrier gateways are for the engine's originates only: no dialplan context (the
    agents' included) may send a call to one, so no phone and no caller from outside can
    reach the public network through the center (toll fraud)."""
    problems: list[Problem] = []
    for name, context in facts.contexts().items():
        for action in context.iter():
            if action.tag not in ("action", "anti-action"):
                continue
            data = action.get("data") or ""
            if GATEWAY_DIAL.search(data):
                problems.append(Problem(action.file, action.line,
                                        f"context {name!r}: {action.get('application')} {data!r} reaches a "
                                        "carrier gateway; only the engine may call out (toll fraud)"))
    for profile in facts.profiles():
        if profile.find_children("gateways") and _authenticates(profile.params()):
            problems.append(Problem(profile.file, profile.line,
                                    f"SIP profile {profile.get('name')!r}: put carrier gateways in the "
                                    "carrier's profile (public), not in the agents' profile"))
    return problems


def _literal_number(condition: Node) -> str | None:
    match = LITERAL_NUMBER.match(condition.get("expression") or "")
    return match.group(1) if match else None


def _transfer_context(application: str, data: str, current: str) -> str:
    """The context a transfer lands in: `transfer <ext> [<dialplan> [<context>]]`,
    `sched_transfer +<secs> <ext> [<dialplan> [<context>]]`,
    `limit <backend> <realm> <resource> <max>[/<interval>] [<ext> [<dialplan> [<context>]]]`."""
    words = data.split()
    if application == "sched_transfer":
        words = words[1:]
    elif application == "limit":
        words = words[4:]
    return words[2] if len(words) >= 3 else current
