import hashlib
import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.special import betaln, logsumexp

from pr_lib.experiments import (
    assign_variant,
    assign_variants,
    is_early,
    obrien_fleming_alpha_spent,
    obrien_fleming_boundary,
    prob_beats_control,
    sample_size_per_group,
    two_proportion_ztest,
)

HALF = [("control", 50), ("variant", 50)]

# --- Assignment ----------------------------------------------------------------------------------


def test_assignment_is_pinned_to_the_hash():
    # Changing the hashing scheme would silently move customers of running experiments between groups.
    assigned = [assign_variant(partner_id, "welcome-bonus-2025", HALF) for partner_id in range(1, 11)]
    assert assigned == "control control variant control variant control control variant variant control".split()
    digest = hashlib.sha256(b"welcome-bonus-2025:3").digest()
    assert (int.from_bytes(digest[:8], "big") >> 11) / 2**53 == pytest.approx(0.79586528)


def test_assignment_follows_the_weights():
    ids = np.arange(40000)
    weights = [("holdout", 10), ("a", 45), ("retired", 0), ("b", 45)]
    assigned = assign_variants(ids, "spring-campaign", weights)
    shares = {code: float(np.mean(assigned == code)) for code, _weight in weights}
    assert shares["retired"] == 0.0
    assert shares["holdout"] == pytest.approx(0.10, abs=0.01)
    assert shares["a"] == pytest.approx(0.45, abs=0.01)
    assert shares["b"] == pytest.approx(0.45, abs=0.01)


def test_vectorised_assignment_equals_one_by_one_and_experiments_are_independent():
    ids = list(range(500)) + ["res.partner,7"]
    many = assign_variants(ids, "exp-1", HALF)
    assert many.tolist() == [assign_variant(partner_id, "exp-1", HALF) for partner_id in ids]
    assert assign_variants(ids, "exp-1", HALF).tolist() == many.tolist()  # stable
    other = assign_variants(ids, "exp-2", HALF)
    assert 0.4 < np.mean(many == other) < 0.6  # another experiment reshuffles


def test_zero_weight_last_variant_is_never_assigned():
    assigned = assign_variants(range(5000), "x", [("a", 1), ("b", 1), ("off", 0)])
    assert set(assigned.tolist()) == {"a", "b"}
    assert assign_variant(42, "x", [("only", 3)]) == "only"


@pytest.mark.parametrize("weights", [[], [("a", 0)], [("a", -1), ("b", 2)], [("a", float("nan"))]])
def test_bad_weights_are_refused(weights):
    with pytest.raises(ValueError, match="weights"):
        assign_variant(1, "x", weights)


# --- Two-proportion z-test -----------------------------------------------------------------------


def test_ztest_matches_the_hand_computation():
    result = two_proportion_ztest(200, 2000, 250, 2000)
    pooled = 450 / 4000
    z = (0.125 - 0.10) / math.sqrt(pooled * (1 - pooled) * (2 / 2000))
    assert result.valid and result.reason is None
    assert result.z == pytest.approx(z) == pytest.approx(2.50196, abs=1e-5)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))  # two-sided, without scipy
    assert result.p_value == pytest.approx(0.01235, abs=1e-5)
    assert result.lift == pytest.approx(0.25)
    assert (result.rate_a, result.rate_b) == (0.10, 0.125)


def test_ztest_is_symmetric_and_identical_groups_show_nothing():
    forward = two_proportion_ztest(30, 400, 45, 500)
    backward = two_proportion_ztest(45, 500, 30, 400)
    assert forward.z == pytest.approx(-backward.z)
    assert forward.p_value == pytest.approx(backward.p_value)
    same = two_proportion_ztest(50, 1000, 50, 1000)
    assert (same.z, same.p_value, same.lift) == (0.0, 1.0, 0.0)


def test_ztest_without_data_says_why():
    empty = two_proportion_ztest(0, 0, 5, 100)
    assert (empty.valid, empty.reason) == (False, "empty_group")
    assert math.isnan(empty.z) and math.isnan(empty.p_value) and math.isnan(empty.rate_a)
    assert empty.rate_b == 0.05
    assert two_proportion_ztest(0, 100, 0, 0).reason == "empty_group"
    assert two_proportion_ztest(0, 100, 0, 120).reason == "no_variance"
    assert two_proportion_ztest(100, 100, 120, 120).reason == "no_variance"
    from_zero = two_proportion_ztest(0, 100, 5, 100)
    assert from_zero.valid and math.isnan(from_zero.lift) and from_zero.z > 0
    with pytest.raises(ValueError):
        two_proportion_ztest(11, 10, 1, 10)


# --- Bayesian probability ------------------------------------------------------------------------


def closed_form(conv_c, n_c, conv_v, n_v):
    """P(V > C) for integer Beta parameters, summed exactly (Evan Miller's formula), uniform prior."""
    a_c, b_c, a_v, b_v = 1 + conv_c, 1 + n_c - conv_c, 1 + conv_v, 1 + n_v - conv_v
    i = np.arange(a_v)
    terms = betaln(a_c + i, b_c + b_v) - np.log(b_v + i) - betaln(1 + i, b_v) - betaln(a_c, b_c)
    return float(np.exp(logsumexp(terms)))


def test_identical_data_is_a_coin_flip():
    assert prob_beats_control(100, 1000, 100, 1000) == pytest.approx(0.5, abs=1e-9)
    assert prob_beats_control(0, 0, 0, 0) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize(
    ("conv_c", "n_c", "conv_v", "n_v"),
    [(100, 1000, 130, 1000), (12, 80, 9, 95), (5000, 50000, 5200, 50000), (0, 30, 2, 30), (3, 10, 7, 10)],
)
def test_probability_matches_the_closed_form(conv_c, n_c, conv_v, n_v):
    assert prob_beats_control(conv_c, n_c, conv_v, n_v) == pytest.approx(
        closed_form(conv_c, n_c, conv_v, n_v), abs=1e-8
    )


def test_clear_win_and_clear_loss():
    assert prob_beats_control(100, 1000, 150, 1000) > 0.99
    assert prob_beats_control(100, 1000, 130, 1000) > 0.95
    assert prob_beats_control(150, 1000, 100, 1000) < 0.01


def test_a_strong_prior_holds_back_small_samples():
    weak = prob_beats_control(1, 10, 4, 10)
    strong = prob_beats_control(1, 10, 4, 10, prior=(100, 900))
    assert 0.5 < strong < weak
    with pytest.raises(ValueError, match="prior"):
        prob_beats_control(1, 10, 4, 10, prior=(0, 1))


# --- Sample size ---------------------------------------------------------------------------------


def test_sample_size_textbook_case():
    # 10% -> 12%, alpha 0.05 two-sided, power 0.8, computed here with the standard library only.
    p1, p2 = 0.10, 0.12
    z_alpha, z_power = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.8)
    mean = (p1 + p2) / 2
    by_hand = (z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    by_hand /= (p2 - p1) ** 2
    assert sample_size_per_group(0.10, 0.20) == math.ceil(by_hand) == 3841


def test_sample_size_moves_the_right_way():
    base = sample_size_per_group(0.10, 0.20)
    assert sample_size_per_group(0.10, 0.10) > 3 * base  # half the lift needs about four times the sample
    assert sample_size_per_group(0.10, 0.20, power=0.9) > base
    assert sample_size_per_group(0.10, 0.20, alpha=0.01) > base
    assert sample_size_per_group(0.10, -0.20) > 0  # detecting a drop works too
    for args in ((0.0, 0.2), (0.9, 0.2), (0.1, 0.0)):
        with pytest.raises(ValueError):
            sample_size_per_group(*args)


# --- O'Brien-Fleming -----------------------------------------------------------------------------


def test_obrien_fleming_boundary_values():
    z = NormalDist().inv_cdf(0.975)
    assert obrien_fleming_boundary(1.0) == pytest.approx(1.959964, abs=1e-6)
    # alpha(0.5) = 2 - 2 Phi(1.96 / sqrt(0.5)) = 0.00557, boundary Phi^-1(1 - 0.00557 / 2) = 2.7718
    assert obrien_fleming_alpha_spent(0.5) == pytest.approx(2 - 2 * NormalDist().cdf(z / math.sqrt(0.5)))
    assert obrien_fleming_alpha_spent(0.5) == pytest.approx(0.005575, abs=1e-6)
    assert obrien_fleming_boundary(0.5) == pytest.approx(2.7718, abs=1e-4)
    assert obrien_fleming_boundary(0.25) == pytest.approx(2 * z)
    assert obrien_fleming_boundary(0.5, alpha=0.01) > obrien_fleming_boundary(0.5)
    assert obrien_fleming_boundary(1.5) == obrien_fleming_boundary(1.0)  # past the planned sample
    with pytest.raises(ValueError):
        obrien_fleming_boundary(0)


def test_is_early():
    assert is_early(0.5, 2.2)  # looks significant, but not at this point
    assert is_early(0.5, -2.5)
    assert not is_early(0.5, 2.9)  # strong enough to stop early
    assert not is_early(0.5, -2.9)
    assert not is_early(1.0, 2.0)  # complete: the plain test applies
    assert not is_early(1.0, 0.3)
    assert is_early(0.2, 3.5)


@pytest.mark.parametrize(("uniform", "expected"), [(0.0, "a"), (1 - 2**-53, "b")])
def test_the_ends_of_the_range_land_in_variants_with_weight(monkeypatch, uniform, expected):
    monkeypatch.setattr("pr_lib.experiments._uniform", lambda partner_id, experiment_key: uniform)
    assert assign_variant(1, "x", [("off", 0), ("a", 0.1), ("b", 0.2), ("retired", 0)]) == expected


def test_obrien_fleming_boundary_stays_finite_for_very_early_looks():
    # Through alpha(t) the boundary underflowed to infinity below t of about 0.06; the closed form does not.
    assert obrien_fleming_boundary(0.01) == pytest.approx(NormalDist().inv_cdf(0.975) / 0.1)
    assert math.isfinite(obrien_fleming_boundary(1e-6))
    assert 0 < obrien_fleming_alpha_spent(0.01) < 1e-80
