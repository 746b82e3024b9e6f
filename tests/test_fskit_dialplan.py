"""The shipped dialplans keep the shared contract: every hotline extension sets
cc_hotline (and cc_service_line on a per-service number) and cc_entry=hotline
in plain <action application=.. data=../> form, then answers and parks, with
the fallback scheduled before the park."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fskit_fixtures import DIALPLANS, KIT

NEEDS = {"billing", "complaints", "service_orders", "password", "general"}


def hotline_extensions():
    root = ET.parse(DIALPLANS / "public.xml").getroot()
    public = next(c for c in root.iter("context") if c.get("name") == "public")
    return [e for e in public.iter("extension") if e.get("name", "").startswith("hotline_")]


def actions(extension) -> list[tuple[str, str | None]]:
    return [(a.get("application"), a.get("data")) for a in extension.iter("action")]


def test_every_hotline_extension_sets_the_entry_variables_then_answers_and_parks():
    extensions = hotline_extensions()
    assert [e.get("name") for e in extensions] == ["hotline_10000", "hotline_10001", "hotline_10002",
                                                    "hotline_10003"]
    for extension in extensions:
        number = extension.get("name").removeprefix("hotline_")
        condition = extension.find("condition")
        assert (condition.get("field"), condition.get("expression")) == ("destination_number", f"^{number}$")
        steps = actions(extension)
        sets = dict(data.split("=", 1) for app, data in steps if app == "set")
        assert sets["cc_hotline"] == number and sets["cc_entry"] == "hotline"
        assert sets.get("cc_service_line", "general") in NEEDS
        applications = [app for app, _ in steps]
        assert applications[-4:] == ["answer", "limit", "sched_transfer", "park"], applications
        assert applications.index("answer") > max(i for i, app in enumerate(applications) if app == "set")


def test_per_service_numbers_preselect_their_need():
    lines = {e.get("name"): dict(d.split("=", 1) for a, d in actions(e) if a == "set").get("cc_service_line")
             for e in hotline_extensions()}
    assert lines == {"hotline_10000": None, "hotline_10001": "billing", "hotline_10002": "complaints",
                     "hotline_10003": "service_orders"}


def test_fallback_is_scheduled_into_the_fallback_context_that_apologises_and_hangs_up():
    root = ET.parse(DIALPLANS / "public.xml").getroot()
    for extension in hotline_extensions():
        schedule = dict(actions(extension))["sched_transfer"]
        assert schedule == "+$${cc_park_timeout} cc_fallback XML cc_fallback"
    fallback = next(c for c in root.iter("context") if c.get("name") == "cc_fallback")
    steps = {extension.get("name"): actions(extension) for extension in fallback.iter("extension")}
    assert [app for app, _ in steps["engine_unavailable"]] == ["set", "playback", "hangup"]
    assert dict(steps["engine_unavailable"])["playback"].endswith("/engine_unavailable.wav")


def test_hotline_calls_above_the_admitted_rate_get_the_busy_answer_from_the_switch():
    for extension in hotline_extensions():
        limit = dict(actions(extension))["limit"]
        assert limit == ("hash callcenter new_calls $${cc_max_new_calls_per_second}/1 "
                         "cc_overload XML cc_fallback"), extension.get("name")
    admitted = re.search(r'data="cc_max_new_calls_per_second=(\d+)"', (KIT / "vars.xml").read_text())
    assert admitted and int(admitted.group(1)) > 0


def test_an_overloaded_engine_sends_new_callers_to_the_busy_answer():
    root = ET.parse(DIALPLANS / "public.xml").getroot()
    fallback = next(c for c in root.iter("context") if c.get("name") == "cc_fallback")
    busy = next(e for e in fallback.iter("extension") if e.get("name") == "engine_busy")
    assert busy.find("condition").get("expression") == "^cc_overload$"
    steps = actions(busy)
    assert [app for app, _ in steps] == ["set", "playback", "hangup"]
    assert dict(steps)["playback"].endswith("/engine_busy.wav")
