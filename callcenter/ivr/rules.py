"""Stage two of validation: graph rules over a schema-valid Flow.

One small function per rule; each returns the problems it found (all of
them, not the first), naming the flow, the node and the place in the file.
Pure: no database, no switch, no files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from callcenter.ivr.flow import (BUILTIN_VARIABLES, INPUT_KINDS, TERMINAL_KINDS, Flow, Node, edges,
                                 prompt_refs, successors, template_vars)
from callcenter.ivr.schema import Problem

MAX_MENU_TRIES = 5


@dataclass(frozen=True)
class HookSpec:
    """What the validator needs to know about a hook."""

    name: str
    params: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class ValidationContext:
    queues: frozenset[str] | None = None  # None: do not check queue names
    hooks: Mapping[str, HookSpec] = field(default_factory=dict)
    flows: Mapping[str, Flow] = field(default_factory=dict)  # other flows, for subflow / transfer


def _problem(flow: Flow, path: tuple, rule: str, message: str) -> Problem:
    return Problem(flow.where(*path), f"flow '{flow.id}': {message}", rule)


def entry_exists(flow: Flow, context: ValidationContext) -> list[Problem]:
    if flow.entry in flow.nodes:
        return []
    return [_problem(flow, ("entry",), "entry", f"the entry node '{flow.entry}' does not exist")]


def targets_exist(flow: Flow, context: ValidationContext) -> list[Problem]:
    return [_problem(flow, ("nodes", node.id) + path, "targets",
                     f"node '{node.id}' goes to '{target}' ({label}), which does not exist")
            for node in flow.nodes.values() for label, target, path in edges(node)
            if target not in flow.nodes]


def reachable_from_entry(flow: Flow) -> set[str]:
    seen, todo = set(), [flow.entry] if flow.entry in flow.nodes else []
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in flow.nodes:
            continue
        seen.add(node_id)
        todo.extend(successors(flow.nodes[node_id]))
    return seen


def all_reachable(flow: Flow, context: ValidationContext) -> list[Problem]:
    if flow.entry not in flow.nodes:
        return []
    reached = reachable_from_entry(flow)
    return [_problem(flow, ("nodes", node_id), "reachable",
                     f"node '{node_id}' cannot be reached from the entry '{flow.entry}'")
            for node_id in flow.nodes if node_id not in reached]


def menus_bounded(flow: Flow, context: ValidationContext) -> list[Problem]:
    problems = []
    for node in flow.nodes.values():
        if node.kind != "menu":
            continue
        for key, what in (("on_invalid", "invalid input"), ("on_timeout", "a timeout")):
            if not node.get(key):
                problems.append(_problem(flow, ("nodes", node.id), "menus",
                                         f"menu '{node.id}' does not say where to go after "
                                         f"{what} (add '{key}')"))
        if node.get("tries", 3) > MAX_MENU_TRIES:
            problems.append(_problem(flow, ("nodes", node.id, "tries"), "menus",
                                     f"menu '{node.id}' allows {node.get('tries')} tries; at most "
                                     f"{MAX_MENU_TRIES} keep callers from looping"))
    return problems


def no_cycle_without_input(flow: Flow, context: ValidationContext) -> list[Problem]:
    """A loop in which the caller is never asked anything would spin forever."""
    silent = {nid for nid, node in flow.nodes.items() if node.kind not in INPUT_KINDS}
    graph = {nid: [t for t in successors(flow.nodes[nid]) if t in silent] for nid in silent}
    problems, reported = [], set()
    for component in _strongly_connected(graph):
        looped = len(component) > 1 or component[0] in graph[component[0]]
        if looped and not reported & set(component):
            reported |= set(component)
            names = " -> ".join(sorted(component))
            problems.append(_problem(flow, ("nodes", sorted(component)[0]), "cycles",
                                     f"nodes {names} form a loop with no menu, collect or survey "
                                     "in it: a caller would be stuck"))
    return problems


def paths_end(flow: Flow, context: ValidationContext) -> list[Problem]:
    """From every node some hangup, queue, transfer (or return) must be reachable."""
    ends = {nid for nid, node in flow.nodes.items() if node.kind in TERMINAL_KINDS}
    can_end, changed = set(ends), True
    while changed:
        changed = False
        for nid, node in flow.nodes.items():
            if nid not in can_end and any(t in can_end for t in successors(node)):
                can_end.add(nid)
                changed = True
    return [_problem(flow, ("nodes", nid), "ends",
                     f"no path from node '{nid}' ends in hangup, queue or transfer")
            for nid in flow.nodes if nid not in can_end]


def prompts_exist(flow: Flow, context: ValidationContext) -> list[Problem]:
    problems = []
    for node in flow.nodes.values():
        for prompt_id, path in prompt_refs(node):
            texts = flow.prompts.get(prompt_id)
            if texts is None:
                problems.append(_problem(flow, ("nodes", node.id) + path, "prompts",
                                         f"node '{node.id}' plays prompt '{prompt_id}', which is "
                                         "not in 'prompts'"))
    for prompt_id, texts in flow.prompts.items():
        for language in flow.languages:
            if not texts.get(language, "").strip():
                problems.append(_problem(flow, ("prompts", prompt_id), "prompts",
                                         f"prompt '{prompt_id}' has no '{language}' text "
                                         f"(the flow declares languages {', '.join(flow.languages)})"))
    return problems


def references_exist(flow: Flow, context: ValidationContext) -> list[Problem]:
    problems = []
    for node in flow.nodes.values():
        where = ("nodes", node.id)
        if node.kind == "queue" and context.queues is not None and \
                node.get("need") not in context.queues:
            problems.append(_problem(flow, where + ("need",), "references",
                                     f"queue '{node.get('need')}' in node '{node.id}' is not in the "
                                     f"ACD queues file (known: {', '.join(sorted(context.queues))})"))
        if node.kind == "lookup":
            problems += _hook_problems(flow, node, context)
        if node.kind in ("subflow", "transfer") and node.get("flow") is not None:
            target = context.flows.get(node.get("flow"))
            if node.get("flow") != flow.id and target is None:
                problems.append(_problem(flow, where + ("flow",), "references",
                                         f"node '{node.id}' goes to flow '{node.get('flow')}', "
                                         "which is not among the flows"))
            elif node.kind == "subflow" and target is not None and not target.is_subflow:
                problems.append(_problem(flow, where + ("flow",), "references",
                                         f"node '{node.id}' calls '{target.id}' as a sub-flow, "
                                         "but it has no 'return' node"))
    return problems


def _hook_problems(flow: Flow, node: Node, context: ValidationContext) -> list[Problem]:
    hook = context.hooks.get(node.get("hook"))
    where = ("nodes", node.id)
    if hook is None:
        return [_problem(flow, where + ("hook",), "references",
                         f"hook '{node.get('hook')}' in node '{node.id}' is not registered "
                         f"(known: {', '.join(sorted(context.hooks))})")]
    given = set(node.get("args") or {})
    problems = [_problem(flow, where + ("args",), "references",
                         f"hook '{hook.name}' in node '{node.id}' needs argument '{p}'")
                for p in hook.params if p not in given]
    problems += [_problem(flow, where + ("args", a), "references",
                          f"hook '{hook.name}' takes no argument '{a}' "
                          f"(it takes: {', '.join(hook.params) or 'none'})")
                 for a in sorted(given - set(hook.params))]
    return problems


# --- variables: defined before use on every path --------------------------

def _uses(node: Node, context: ValidationContext) -> set[str]:
    spec, used = node.spec, set()
    if node.kind == "say":
        used.add(spec["variable"])
    if node.kind == "set":
        used |= template_vars(spec.get("values") or {})
    if node.kind == "lookup":
        used |= template_vars(spec.get("args") or {})
    if node.kind == "transfer":
        used |= template_vars(spec.get("to") or "")
    if node.kind == "branch":
        used |= {case["when"]["var"] for case in spec.get("cases", ())
                 if "var" in case.get("when", {}) and "is_set" not in case["when"]}
    if node.kind == "subflow" and spec.get("flow") in context.flows:
        used |= set(context.flows[spec["flow"]].inputs)
    return used


def _defines(node: Node, label: str, context: ValidationContext) -> set[str]:
    spec = node.spec
    if node.kind == "set":
        return set(spec.get("values") or {}) | set(spec.get("increment") or {})
    if node.kind in ("collect", "survey") and label == "ok":
        return {spec.get("variable", "survey_score")}
    if node.kind == "record":
        return {spec["variable"]}
    if node.kind == "lookup" and label == "found" and spec.get("hook") in context.hooks:
        return set(context.hooks[spec["hook"]].outputs)
    if node.kind == "subflow" and spec.get("flow") in context.flows:
        return set(context.flows[spec["flow"]].outputs)
    return set()


def defined_before(flow: Flow, context: ValidationContext) -> dict[str, frozenset[str]]:
    """For each reachable node, the variables set on every path that reaches it."""
    start = frozenset(BUILTIN_VARIABLES | set(flow.inputs))
    known: dict[str, frozenset[str]] = {flow.entry: start} if flow.entry in flow.nodes else {}
    todo = list(known)
    while todo:
        node_id = todo.pop()
        node = flow.nodes[node_id]
        for label, target, _ in edges(node):
            if target not in flow.nodes:
                continue
            out = known[node_id] | _defines(node, label, context)
            merged = out if target not in known else known[target] & out
            if known.get(target) != merged:
                known[target] = frozenset(merged)
                todo.append(target)
    return known


def variables_defined(flow: Flow, context: ValidationContext) -> list[Problem]:
    problems, known = [], defined_before(flow, context)
    for node_id, defined in known.items():
        node = flow.nodes[node_id]
        for name in sorted(_uses(node, context) - defined):
            problems.append(_problem(flow, ("nodes", node_id), "variables",
                                     f"node '{node_id}' uses variable '{name}', which is not set "
                                     "on every path that reaches it"))
        if node.kind == "return":
            for name in sorted(set(flow.outputs) - defined):
                problems.append(_problem(flow, ("nodes", node_id), "variables",
                                         f"sub-flow returns at '{node_id}' without setting its "
                                         f"output '{name}'"))
    return problems


RULES: tuple[Callable[[Flow, ValidationContext], list[Problem]], ...] = (
    entry_exists, targets_exist, all_reachable, menus_bounded, no_cycle_without_input, paths_end,
    prompts_exist, references_exist, variables_defined,
)


def check_flow(flow: Flow, context: ValidationContext) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(flow, context)]


def _strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    result.append(component)
    return result
