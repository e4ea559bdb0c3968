import numpy as np
import pytest

from pr_lib.tiers import assign_tiers, count_per_tier, review_decision

THRESHOLDS = [(0, 0), (500, 0), (1500, 0), (4000, 10000)]


def test_highest_tier_met_wins():
    earned = [0, 499, 500, 1600, 5000, 5000]
    revenue = [0, 0, 0, 0, 0, 20000]
    assert assign_tiers(earned, revenue, THRESHOLDS).tolist() == [0, 0, 1, 2, 2, 3]


def test_revenue_floor_keeps_big_earners_out():
    assert assign_tiers([4500], [9999.99], THRESHOLDS).tolist() == [2]


def test_no_tier_below_lowest_threshold():
    assert assign_tiers([10, 99], [0, 0], [(100, 0), (200, 0)]).tolist() == [-1, -1]


def test_count_per_tier_sums_to_population():
    rng = np.random.default_rng(7)
    earned = rng.integers(0, 6000, size=1000)
    revenue = rng.integers(0, 30000, size=1000)
    counts, unranked = count_per_tier(earned, revenue, [(100, 0), (500, 0), (1500, 0), (4000, 10000)])
    assert sum(counts) + unranked == 1000
    assert unranked == int((earned < 100).sum())


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError):
        assign_tiers([1, 2], [1], THRESHOLDS)


@pytest.mark.parametrize(
    ("current", "qualified", "due", "grace_over", "expected"),
    [
        (1, 2, False, False, (2, "upgrade")),
        (2, 1, False, False, (2, None)),
        (2, 1, True, False, (2, None)),
        (2, 0, True, True, (0, "downgrade")),
        (2, 2, True, True, (2, None)),
        (-1, 0, False, False, (0, "upgrade")),
    ],
)
def test_review_decision(current, qualified, due, grace_over, expected):
    assert review_decision(current, qualified, due, grace_over) == expected
