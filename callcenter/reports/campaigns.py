"""Per outbound campaign figures from the call log (pure): dials, live answers split
into answered (an agent or the campaign's flow took the call) and abandoned (answered
by the customer, no agent within the limit), abandon rate and agents' talk time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from callcenter.reports.facts import CallRecord


@dataclass
class CampaignSums:
    dials: int = 0
    answered: int = 0
    abandoned: int = 0
    talk_ms: int = 0  # agents' talk: connected to ended or transferred
    calls: list[str] = field(default_factory=list)  # the dials' call uuids (drill-down)

    @property
    def abandon_rate(self) -> float | None:
        """abandoned ÷ live answers (answered + abandoned); None: no live answer."""
        live = self.answered + self.abandoned
        return self.abandoned / live if live else None


@dataclass(frozen=True)
class Dial:
    """One campaign dial as the figures count it (the drill-down's row)."""
    campaign: int
    call: str
    started_at: datetime
    outcome: str  # answered | abandoned | not answered
    talk_ms: int = 0


def dial_of(call: CallRecord) -> Dial | None:
    """The call as a campaign dial; None when no campaign dialled it."""
    dial = next((e for e in call.events if e.kind == "campaign_dial"), None)
    if dial is None or (dial.data or {}).get("campaign") is None:
        return None
    outcome = next(((e.data or {}).get("outcome") for e in call.events
                    if e.kind == "campaign_outcome"), None)
    connected = next((e.at for e in call.events if e.kind == "connected"), None)
    if outcome == "abandoned":
        counted = "abandoned"
    elif outcome == "answered" or connected is not None:
        counted = "answered"
    else:
        counted = "not answered"
    talk_ms = 0
    if connected is not None:
        end = next((e.at for e in call.events if e.at >= connected
                    and e.kind in ("ended", "transferred")), None)
        if end is not None:
            talk_ms = round((end - connected).total_seconds() * 1000)
    return Dial(int(dial.data["campaign"]), call.uuid, call.events[0].at, counted, talk_ms)


def campaign_sums(calls: Iterable[CallRecord]) -> dict[int, CampaignSums]:
    """Campaign id -> its sums over the calls given (each call is one dial)."""
    out: dict[int, CampaignSums] = {}
    for dial in filter(None, map(dial_of, calls)):
        sums = out.setdefault(dial.campaign, CampaignSums())
        sums.dials += 1
        sums.calls.append(dial.call)
        sums.answered += dial.outcome == "answered"
        sums.abandoned += dial.outcome == "abandoned"
        sums.talk_ms += dial.talk_ms
    return out
