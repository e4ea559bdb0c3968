"""Tier qualification, shared by the ledger (one batch of members) and the tier simulation (every member)."""

import numpy as np


def assign_tiers(earned, revenue, thresholds):
    """Return, for each customer, the index of the highest tier they qualify for, or -1.

    :param earned: points earned by each customer over the rolling window
    :param revenue: invoiced revenue of each customer over the same window
    :param thresholds: ``(min_points, min_revenue)`` per tier, lowest rank first
    :return: numpy array of tier indexes into ``thresholds``
    """
    earned = np.asarray(earned, dtype=float)
    revenue = np.asarray(revenue, dtype=float)
    if earned.shape != revenue.shape:
        raise ValueError("earned and revenue must have the same length")
    result = np.full(earned.shape, -1, dtype=int)
    for index, (min_points, min_revenue) in enumerate(thresholds):
        result[(earned >= min_points) & (revenue >= (min_revenue or 0.0))] = index
    return result


def count_per_tier(earned, revenue, thresholds):
    """Return how many customers land in each tier, and how many in none, as ``(counts, unranked)``."""
    assigned = assign_tiers(earned, revenue, thresholds)
    counts = np.bincount(assigned[assigned >= 0], minlength=len(thresholds))
    return [int(count) for count in counts[: len(thresholds)]], int((assigned < 0).sum())


def review_decision(current_rank, qualified_rank, review_due, grace_over):
    """Decide a member's tier at a review, as ``(new_rank, reason)``; ``reason`` is None when nothing changes.

    Upgrades happen at once. A member who no longer qualifies keeps the tier until the review date
    has passed and the grace period after it is over; then the tier drops to what they qualify for.
    Ranks are tier indexes, -1 meaning no tier.
    """
    if qualified_rank > current_rank:
        return qualified_rank, "upgrade"
    if qualified_rank < current_rank and review_due and grace_over:
        return qualified_rank, "downgrade"
    return current_rank, None
