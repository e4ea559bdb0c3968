import numpy as np
import pytest

from pr_lib.rfm import SEGMENTS, rfm_scores, rfm_segment


def test_five_customers_get_one_to_five():
    r, f, m = rfm_scores([10, 50, 30, 20, 40], [1, 2, 3, 4, 5], [500.0, 100.0, 300.0, 200.0, 400.0])
    assert r.tolist() == [5, 1, 3, 4, 2]  # the most recent buyer scores 5
    assert f.tolist() == [1, 2, 3, 4, 5]
    assert m.tolist() == [5, 1, 3, 2, 4]
    assert r.dtype.kind == f.dtype.kind == m.dtype.kind == "i"


def test_ten_customers_make_quintiles_of_two():
    _r, f, _m = rfm_scores(np.zeros(10), np.arange(10), np.zeros(10))
    assert f.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_ties_share_a_score_whatever_the_order():
    _r, f, _m = rfm_scores(np.zeros(5), [5, 5, 1, 1, 9], np.zeros(5))
    # ranks 3.5, 3.5, 1.5, 1.5, 5 -> ceil(5 * (rank - 0.5) / 5)
    assert f.tolist() == [3, 3, 1, 1, 5]
    order = np.array([4, 2, 0, 3, 1])
    _r, shuffled, _m = rfm_scores(np.zeros(5), np.array([5, 5, 1, 1, 9])[order], np.zeros(5))
    assert shuffled.tolist() == f[order].tolist()


def test_lone_and_equal_customers_sit_in_the_middle():
    assert [score.tolist() for score in rfm_scores([12], [3], [99.0])] == [[3], [3], [3]]
    assert [score.tolist() for score in rfm_scores([7] * 6, [2] * 6, [10.0] * 6)] == [[3] * 6] * 3
    assert [score.tolist() for score in rfm_scores([], [], [])] == [[], [], []]


def test_seven_customers_scale_is_symmetric():
    r, f, _m = rfm_scores(np.arange(7), np.arange(7), np.zeros(7))
    assert f.tolist() == [1, 2, 2, 3, 4, 4, 5]
    assert r.tolist() == (6 - f).tolist()


def test_bad_score_inputs_are_refused():
    with pytest.raises(ValueError, match="same length"):
        rfm_scores([1, 2], [1], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        rfm_scores([1, np.nan], [1, 2], [1, 2])


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "champions"),
        (4, 5, 4, "champions"),
        (4, 4, 3, "loyal"),  # FM 3.5 rounds down: not champion yet
        (3, 5, 4, "loyal"),
        (5, 3, 2, "potential_loyalist"),
        (5, 1, 1, "new_customer"),
        (4, 2, 1, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 1, 2, "about_to_sleep"),
        (2, 5, 5, "at_risk"),
        (1, 3, 4, "at_risk"),
        (1, 5, 4, "cannot_lose"),
        (2, 2, 1, "hibernating"),
        (1, 2, 2, "hibernating"),
        (1, 1, 2, "lost"),
    ],
)
def test_segment_grid(r, f, m, segment):
    assert rfm_segment([r], [f], [m]).tolist() == [segment]


def test_every_score_combination_maps_to_a_known_segment_and_all_segments_occur():
    r, f, m = (axis.ravel() for axis in np.meshgrid(*[np.arange(1, 6)] * 3, indexing="ij"))
    segments = rfm_segment(r, f, m)
    assert segments.shape == (125,)
    assert set(segments.tolist()) == {code for code, _label in SEGMENTS}
    assert len(SEGMENTS) == 11


def test_segments_from_scores_end_to_end():
    r, f, m = rfm_scores([3, 400, 5, 380], [12, 11, 1, 1], [900.0, 850.0, 20.0, 15.0])
    # Four customers: mid-rank percentiles 1/8, 3/8, 5/8, 7/8 give scores 1, 2, 4, 5; the two single
    # purchases share rank 1.5, hence score 2.
    assert (r.tolist(), f.tolist(), m.tolist()) == ([5, 1, 4, 2], [5, 4, 2, 2], [5, 4, 2, 1])
    assert rfm_segment(r, f, m).tolist() == ["champions", "cannot_lose", "potential_loyalist", "hibernating"]


def test_bad_segment_inputs_are_refused():
    with pytest.raises(ValueError, match="between 1 and 5"):
        rfm_segment([0], [3], [3])
    with pytest.raises(ValueError, match="between 1 and 5"):
        rfm_segment([2.5], [3], [3])
    with pytest.raises(ValueError, match="same shape"):
        rfm_segment([1, 2], [3], [3])
