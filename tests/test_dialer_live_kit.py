"""The kit's outbound carrier gateway: defined for the engine's originates, and
reachable from no dialplan context (agents' phones and callers from outside
cannot call out through it). `callcenter freeswitch check` proves it."""
from __future__ import annotations

from fskit_fixtures import KIT, kit, line_of, replace_once  # noqa: F401

from callcenter.freeswitch.kit import check_kit


def problems_in(kit_dir):
    return list(check_kit(kit_dir, engine_port=8021, environ={}).problems)


def test_the_shipped_kit_has_the_carrier_gateway_and_passes():
    profile = (KIT / "sip_profiles" / "public.xml").read_text()
    assert '<gateway name="carrier">' in profile
    assert check_kit(KIT, engine_port=8021, environ={}).ok


def test_an_agents_route_to_the_gateway_is_refused_with_its_line(kit):
    dialplan = kit.parent / "dialplans" / "agents.xml"
    replace_once(dialplan, '<action application="bridge" data="user/$1@$${cc_domain}"/>',
                 '<action application="bridge" data="sofia/gateway/carrier/$1"/>')

    problems = problems_in(kit)

    assert len(problems) == 1, [p.describe() for p in problems]
    assert problems[0].file == dialplan
    assert problems[0].line == line_of(dialplan, "sofia/gateway/carrier")
    assert "carrier gateway" in problems[0].message and "toll fraud" in problems[0].message


def test_a_public_route_to_an_external_number_is_refused(kit):
    dialplan = kit.parent / "dialplans" / "public.xml"
    text = dialplan.read_text()
    marker = "</context>"
    assert marker in text
    dialplan.write_text(text.replace(marker, """  <extension name="sneaky">
      <condition field="destination_number" expression="^10009$">
        <action application="bridge" data="{x=1}sofia/public/123@192.0.2.7"/>
      </condition>
    </extension>
  """ + marker, 1))

    messages = [p.message for p in problems_in(kit)]

    assert any("reaches a carrier gateway" in m for m in messages), messages


def test_a_gateway_in_the_agents_profile_is_refused(kit):
    profile = kit / "sip_profiles" / "agents.xml"
    text = profile.read_text()
    assert text.count("</profile>") == 1
    profile.write_text(text.replace("</profile>", """  <gateways>
    <gateway name="sneaky"><param name="proxy" value="192.0.2.9"/></gateway>
  </gateways>
</profile>"""))

    messages = [p.message for p in problems_in(kit)]

    assert any("not in the agents' profile" in m for m in messages), messages
