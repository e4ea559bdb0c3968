import pytest

from pr_lib.feedback import category, in_scale, net_value, rating_to_csat


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_nps_categories(score, expected):
    assert category("nps", score) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [(1, "dissatisfied"), (2, "dissatisfied"), (3, "neutral"), (4, "satisfied"), (5, "satisfied")],
)
def test_csat_categories(score, expected):
    assert category("csat", score) == expected


@pytest.mark.parametrize(("metric", "score"), [("nps", -1), ("nps", 11), ("csat", 0), ("csat", 6), ("nps", 7.5)])
def test_out_of_scale_is_refused(metric, score):
    assert not in_scale(metric, score)
    with pytest.raises(ValueError):
        category(metric, score)


def test_averaged_net_values_give_nps_and_csat():
    nps_scores = [10, 9, 9, 8, 7, 3, 0, 10, 6, 9]  # 5 promoters, 2 passives, 3 detractors
    assert sum(net_value("nps", s) for s in nps_scores) / len(nps_scores) == 20
    csat_scores = [5, 4, 3, 1]
    assert sum(net_value("csat", s) for s in csat_scores) / len(csat_scores) == 50


@pytest.mark.parametrize(("value", "expected"), [(0, None), (1, 1), (3, 3), (5, 5), (2.5, 3), (4.4, 4), (None, None)])
def test_rating_values_map_to_csat(value, expected):
    assert rating_to_csat(value) == expected
