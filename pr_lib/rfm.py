"""RFM scoring: rank customers by recency, frequency and monetary value, and name the segment they fall in.

Scores are quintiles *within the population scored*, so they say how a customer compares with the
others, not how good they are in absolute terms.
"""

import numpy as np
from scipy.stats import rankdata

# Best first. Codes are stable identifiers (stored, translated elsewhere); labels are English.
SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalist", "Potential loyalist"),
    ("new_customer", "New customer"),
    ("promising", "Promising"),
    ("need_attention", "Need attention"),
    ("about_to_sleep", "About to sleep"),
    ("at_risk", "At risk"),
    ("cannot_lose", "Cannot lose them"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]

# The widely used R x FM grid (as popularised by Putler), with FM the mean of the F and M scores.
# Its published segment ranges overlap; this table gives each of the 25 cells to one segment that
# claims it, the more specific segment winning. Rows are FM 1..5, columns R 1..5.
_GRID = np.array(
    [
        # R = 1         2               3                 4                     5
        ["lost", "hibernating", "about_to_sleep", "promising", "new_customer"],  # FM = 1
        ["hibernating", "hibernating", "about_to_sleep", "potential_loyalist", "potential_loyalist"],  # FM = 2
        ["at_risk", "at_risk", "need_attention", "loyal", "loyal"],  # FM = 3
        ["cannot_lose", "at_risk", "loyal", "champions", "champions"],  # FM = 4
        ["cannot_lose", "at_risk", "loyal", "champions", "champions"],  # FM = 5
    ]
)


def _quintile_scores(values):
    """Score 1..5 by mid-rank percentile: ``ceil(5 * (rank - 0.5) / n)``, higher value -> higher score.

    Equal values share their average rank, so they always get the same score, whatever their order.
    Using the mid-rank (rank - 0.5) rather than the rank keeps the scale symmetric: a lone customer or a
    population of equal customers scores 3, not 5, and reversing the order turns score s into 6 - s.
    """
    if not values.size:
        return np.zeros(0, dtype=int)
    percentile = (rankdata(values, method="average") - 0.5) / values.size
    return np.ceil(5 * percentile).astype(int)


def rfm_scores(recency_days, frequency, monetary):
    """Return the R, F and M scores (int arrays of 1..5) of each customer.

    :param recency_days: days since the last purchase; lower is better, so the most recent fifth scores 5
    :param frequency: number of purchases; higher is better
    :param monetary: amount spent; higher is better
    """
    columns = [np.asarray(column, dtype=float) for column in (recency_days, frequency, monetary)]
    if any(column.ndim != 1 for column in columns) or len({column.shape for column in columns}) > 1:
        raise ValueError("recency_days, frequency and monetary must be one-dimensional and of the same length")
    if any(np.isnan(column).any() for column in columns):
        raise ValueError("RFM inputs must not contain NaN: give customers without purchases explicit values")
    recency, frequency, monetary = columns
    return _quintile_scores(-recency), _quintile_scores(frequency), _quintile_scores(monetary)


def rfm_segment(r, f, m):
    """Return the segment code of each customer (numpy array of str) from their R, F and M scores.

    FM is the mean of F and M rounded down: a customer needs both to be strong to count as strong.
    """
    scores = [np.asarray(score) for score in (r, f, m)]
    if len({score.shape for score in scores}) > 1:
        raise ValueError("r, f and m must have the same shape")
    if any(((score < 1) | (score > 5) | (score != np.round(score))).any() for score in scores):
        raise ValueError("RFM scores must be whole numbers between 1 and 5")
    r, f, m = (score.astype(int) for score in scores)
    fm = (f + m) // 2
    return _GRID[fm - 1, r - 1]
