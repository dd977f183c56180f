from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.rules.units import (
    UNASSIGNED,
    allocate_medicare,
    compute_units,
    medicare_total_units,
    midpoint_units,
    parse_timed_services,
)

# The published CMS chart (MCPM ch. 5 section 20.2): units -> (first minute, last minute).
CMS_CHART = {1: (8, 22), 2: (23, 37), 3: (38, 52), 4: (53, 67), 5: (68, 82), 6: (83, 97), 7: (98, 112), 8: (113, 127)}


def chart_units(total: int) -> int:
    for units, (lo, hi) in CMS_CHART.items():
        if lo <= total <= hi:
            return units
    if total < 8:
        return 0
    return 8 + (total - 113) // 15  # "and so on" past the chart: one more unit per 15 minutes


def test_chart_boundaries():
    for units, (lo, hi) in CMS_CHART.items():
        assert medicare_total_units(lo) == units
        assert medicare_total_units(hi) == units
        assert medicare_total_units(lo - 1) == units - 1


@given(
    st.dictionaries(
        st.sampled_from(["97110", "97112", "97140", "97530", "97116", "97035"]),
        st.integers(min_value=0, max_value=90),
        max_size=6,
    ),
    st.dictionaries(
        st.sampled_from(["97161", "97162", "G0283", "97150"]), st.integers(min_value=1, max_value=90), max_size=3
    ),
)
def test_units_agree_with_chart_and_never_count_untimed(timed, untimed):
    from bot.core.rules.units import TimedService

    services = [TimedService(c, m, c, True) for c, m in timed.items()]
    services += [TimedService(c, m, c, False) for c, m in untimed.items()]
    result = compute_units(services)
    total = sum(timed.values())
    assert result.total_timed_minutes == total
    assert result.medicare_units == chart_units(total)
    assert sum(result.medicare_by_code.values()) == result.medicare_units
    assert set(result.medicare_by_code) <= set(timed)
    for code, units in result.medicare_by_code.items():
        assert units >= timed[code] // 15  # full 15-minute blocks stay with their own code


@given(st.integers(min_value=0, max_value=300))
def test_midpoint_unit_needs_more_than_half(minutes):
    units = midpoint_units(minutes)
    assert units * 15 - 7 <= minutes if units else minutes < 8


def test_leftover_unit_goes_to_code_with_more_minutes():
    assert allocate_medicare({"97110": 33, "97140": 7}) == {"97110": 2, "97140": 1}
    assert allocate_medicare({"97110": 20, "97140": 6}) == {"97110": 1, "97140": 1}


CODES_STUB: dict = {}
ALIASES = {
    "ther ex": ("97110",),
    "neuro re-ed": ("97112",),
    "manual": ("97140",),
    "ultrasound": ("97035",),
    "gait": ("97116",),
}


def test_parse_minutes_per_code_in_free_text():
    services = parse_timed_services("38 min 97110 + 15 min 97140", CODES_STUB, ALIASES)
    assert [(s.code, s.minutes) for s in services] == [("97110", 38), ("97140", 15)]
    services = parse_timed_services("ther ex 40 + neuro re-ed 30 = 70 timed min. units?", CODES_STUB, ALIASES)
    assert [(s.code, s.minutes) for s in services] == [("97110", 40), ("97112", 30)]
    services = parse_timed_services("52 min total timed tx today", CODES_STUB, ALIASES)
    assert [(s.code, s.minutes) for s in services] == [(UNASSIGNED, 52)]
    services = parse_timed_services("units 97110:23 97140:10", CODES_STUB, ALIASES)
    assert [(s.code, s.minutes) for s in services] == [("97110", 23), ("97140", 10)]
    assert parse_timed_services("follow the 8 min rule", CODES_STUB, ALIASES) == []
