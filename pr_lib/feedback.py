"""NPS and CSAT: the scales, the category of an answer and the summary figures."""

SCALES = {"nps": (0, 10), "csat": (1, 5)}
NEGATIVE = frozenset({"detractor", "dissatisfied"})


def in_scale(metric, score):
    """Whether ``score`` is a possible answer on the scale of ``metric``."""
    low, high = SCALES[metric]
    return isinstance(score, int) and not isinstance(score, bool) and low <= score <= high


def category(metric, score):
    """The category of one answer.

    NPS: promoter (9-10), passive (7-8), detractor (0-6).
    CSAT: satisfied (4-5), neutral (3), dissatisfied (1-2).
    """
    if not in_scale(metric, score):
        raise ValueError(f"{score!r} is not on the {metric} scale {SCALES[metric]}")
    if metric == "nps":
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"


def net_value(metric, score):
    """What one answer adds to its metric's average: averaged over the answers of one metric it gives
    the NPS (% promoters - % detractors, -100 to 100) or the CSAT (% satisfied, 0 to 100)."""
    kind = category(metric, score)
    if metric == "nps":
        return {"promoter": 100, "passive": 0, "detractor": -100}[kind]
    return 100 if kind == "satisfied" else 0


def rating_to_csat(value):
    """A score on the CSAT scale for an Odoo rating value, or None when it is not rated.

    Odoo's rating faces are worth 1 (unhappy), 3 (neutral) and 5 (happy), and star widgets give
    1 to 5: they are CSAT scores as they are. Values in between are rounded half up; 0 means unrated.
    """
    if value is None or value < 0.5:
        return None
    return min(max(int(value + 0.5), 1), 5)
