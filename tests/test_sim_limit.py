"""mod_hash's rate count as the simulator models it (callcenter/sim/apps_limit.py)."""
import pytest

from callcenter.sim.apps_limit import RateWindows, _atoi

KEY = ("callcenter", "new_calls")


@pytest.mark.parametrize("arrivals, maximum, window, admitted", [
    # (seconds of each arrival, max per window, window seconds, which are admitted)
    ([0.0, 0.1, 0.2], 2, 1.0, [True, True, False]),
    ([0.0, 0.1, 0.2, 1.0], 2, 1.0, [True, True, False, True]),     # a window opens at its first call
    ([0.0, 0.5, 1.2, 1.3, 1.4], 2, 1.0, [True, True, True, True, False]),
    ([0.0, 0.9, 0.95, 1.5], 1, 1.0, [True, False, False, True]),  # refused calls count too
    ([0.0, 0.1], 0, 1.0, [True, False]),                           # mod_hash admits a window's first call
])
def test_a_window_admits_its_maximum_then_refuses_until_it_ends(arrivals, maximum, window, admitted):
    windows = RateWindows()
    assert [windows.admit(KEY, maximum, window, at) for at in arrivals] == admitted


def test_each_realm_and_resource_counts_apart():
    windows = RateWindows()
    assert windows.admit(KEY, 1, 1.0, 0.0)
    assert windows.admit(("callcenter", "other"), 1, 1.0, 0.0)
    assert not windows.admit(KEY, 1, 1.0, 0.1)


@pytest.mark.parametrize("text, number", [("50", 50), (" 7", 7), ("", 0), ("12abc", 12), ("x", 0)])
def test_numbers_are_read_as_the_switch_reads_them(text, number):
    assert _atoi(text) == number  # an unset $${variable} is a limit of 0
