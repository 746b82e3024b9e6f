"""The routing reason in the reader's language (the desk's screen pop, the floor).

The router gives codes and values (callcenter.live.states.reason_parts); this
words them with the console's catalogue, so the Mandarin desk reads Mandarin.
The English words are those of the engine's log (describe_reason)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

RULES = {
    "specialist": _l("specialist"),
    "general": _l("general agent"),
    "general_overflow": _l("general agent after the wait"),
    "overflow_accept": _l("accepted after the wait"),
    "overflow_other_queue": _l("from another queue after the wait"),
    "overflow_lower_level": _l("lower level allowed after the wait"),
    "unidentified_need_to_general": _l("need not identified: general agent"),
    "transferred_to_agent": _l("transferred to this agent"),
    "ticket_owner": _l("calls again about this agent's open ticket"),
}
CLASSES = {"transferred": _l("transferred call first"), "vip3": _l("VIP 3 first"),
           "vip2": _l("VIP 2 first"), "vip1": _l("VIP 1 first")}
TIES = {
    "only": _l("only eligible free agent"),
    "own_group": _l("own-skill group before overflow group (%(first)s over %(next)s)"),
    "highest_level": _l("highest level %(level)s (next: %(next)s level %(next_level)s)"),
    "longest_idle": _l("longest idle %(idle)s s (next: %(next)s idle %(next_idle)s s)"),
    "equal_idle_highest_level": _l("equal idle time; highest level %(level)s "
                                   "(next: %(next)s level %(next_level)s)"),
    "login_order": _l("equal level and idle time; login order (%(next)s next)"),
    "ticket": _l("ticket %(number)s"),
    "named_by_transfer": _l("the transferring agent named this agent"),
}


def words(parts: Iterable[Mapping[str, Any]], fallback: str = "",
          queue_names: Mapping[str, str] | None = None) -> str:
    """'billing specialist, level 9; VIP 3 first; ...' in the current language; the
    engine's English ``fallback`` when there are no parts."""
    head, rest = "", []
    for part in parts:
        code = part.get("code")
        if code == "rule":
            head = _rule(part, queue_names or {})
        elif code == "level":
            head += _(", level %(level)s", level=part["level"])
        elif code == "class" and part.get("class") in CLASSES:
            rest.append(str(CLASSES[part["class"]]))
        elif code == "tie" and part.get("tie") in TIES:
            text = str(TIES[part["tie"]]) % {k: v for k, v in part.items()}
            rest.append(text + (_(" (agents who declined this call skipped)")
                                if part.get("declined_skipped") else ""))
        elif code == "text":
            rest.append(str(part.get("text", "")))
    text = _("; ").join(p for p in [head, *rest] if p)  # the parts' separator
    return text or fallback


def _rule(part: Mapping[str, Any], queue_names: Mapping[str, str]) -> str:
    rule = str(part.get("rule", ""))
    queue = part.get("queue")
    if rule == "specialist" and queue:
        return _("%(queue)s specialist", queue=queue_names.get(queue, queue))
    known = RULES.get(rule)
    return str(known) if known is not None else rule.replace("_", " ")
