"""A/B and holdout tests: stable assignment of customers to variants, and reading the results honestly."""

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.stats import beta, norm

# --- Assignment ----------------------------------------------------------------------------------


def _uniform(partner_id, experiment_key):
    """A number in [0, 1) fixed by the experiment and the customer, and unrelated between experiments.

    The top 53 bits of the SHA-256 digest make an exact double below 1 (64 bits could round up to 1.0).
    """
    digest = hashlib.sha256(f"{experiment_key}:{partner_id}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / 2.0**53


def _bounds(weights):
    """Codes and the cumulative weight each variant's bucket ends at; zero-weight variants get no bucket."""
    codes = [code for code, _weight in weights]
    values = np.array([weight for _code, weight in weights], dtype=float)
    if not codes or not np.all(np.isfinite(values)) or np.any(values < 0) or values.sum() <= 0:
        raise ValueError("weights must be (code, weight) pairs with weights >= 0 and a positive total")
    # A uniform u < 1 gives u * total < total in floating point too, so with ``side="right"`` the
    # lookup never lands past the last variant with a positive weight.
    bounds = np.cumsum(values)
    return np.array(codes, dtype=object), bounds, bounds[-1]


def assign_variants(partner_ids, experiment_key, weights):
    """The variant code of each customer (numpy array), as :func:`assign_variant` gives it one by one."""
    codes, bounds, total = _bounds(weights)
    uniforms = np.array([_uniform(partner_id, experiment_key) for partner_id in partner_ids], dtype=float)
    return codes[np.searchsorted(bounds, uniforms * total, side="right")]


def assign_variant(partner_id, experiment_key, weights):
    """The variant a customer is in: the same at every call, on every server, without storing anything.

    :param weights: ``[(code, weight), ...]``; weights need not add up to 1. Changing them moves only
        the customers whose hash falls in the shifted part of the range, but do not change them while
        the experiment runs: the groups would no longer be comparable.
    """
    return assign_variants([partner_id], experiment_key, weights)[0]


# --- Frequentist test ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZTestResult:
    """Outcome of a two-proportion z-test; when ``valid`` is False, ``reason`` says why and the numbers are NaN.

    ``reason`` codes: ``empty_group`` (a group has no customers), ``no_variance`` (nobody or everybody
    converted in both groups, so there is nothing to compare). ``lift`` is relative, (b - a) / a,
    and NaN when the control rate a is 0.
    """

    valid: bool
    reason: str | None
    rate_a: float
    rate_b: float
    lift: float
    z: float
    p_value: float


def _check_counts(conversions, count):
    if count < 0 or conversions < 0 or conversions > count:
        raise ValueError("conversions must be between 0 and the group size (got %s of %s)" % (conversions, count))


def two_proportion_ztest(conv_a, n_a, conv_b, n_b):
    """Is B's conversion rate different from A's? Two-sided z-test with the pooled variance.

    The pooled variance is the one under the null hypothesis (both rates equal), as in textbooks and
    statsmodels' ``proportions_ztest``. It needs some dozens of conversions per group to be accurate.
    """
    _check_counts(conv_a, n_a)
    _check_counts(conv_b, n_b)
    nan = float("nan")
    rate_a = conv_a / n_a if n_a else nan
    rate_b = conv_b / n_b if n_b else nan
    if not n_a or not n_b:
        return ZTestResult(False, "empty_group", rate_a, rate_b, nan, nan, nan)
    pooled = (conv_a + conv_b) / (n_a + n_b)
    if pooled in (0.0, 1.0):
        return ZTestResult(False, "no_variance", rate_a, rate_b, nan, nan, nan)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (rate_b - rate_a) / standard_error
    lift = (rate_b - rate_a) / rate_a if rate_a else nan
    return ZTestResult(True, None, rate_a, rate_b, lift, z, float(2 * norm.sf(abs(z))))


# --- Bayesian view -------------------------------------------------------------------------------


def prob_beats_control(conv_c, n_c, conv_v, n_v, prior=(1, 1)):
    """Probability that the variant's true conversion rate is above the control's, given the data.

    Each rate gets a Beta posterior (``prior`` plus successes and failures); the answer is
    P(V > C) = integral of f_V(x) F_C(x) dx, integrated numerically over the range holding all but
    2e-12 of the variant's posterior: exact to about 1e-9, and the same at every call (no sampling).
    """
    _check_counts(conv_c, n_c)
    _check_counts(conv_v, n_v)
    prior_a, prior_b = prior
    if prior_a <= 0 or prior_b <= 0:
        raise ValueError("the Beta prior parameters must be > 0")
    control = beta(prior_a + conv_c, prior_b + n_c - conv_c)
    variant = beta(prior_a + conv_v, prior_b + n_v - conv_v)
    low, high = variant.ppf(1e-12), variant.isf(1e-12)
    # Tell quad where the mass is: a posterior from thousands of visitors is a narrow spike.
    points = sorted({float(np.clip(dist.mean(), low, high)) for dist in (control, variant)})
    value, _error = integrate.quad(
        lambda x: variant.pdf(x) * control.cdf(x), low, high, points=points, limit=200, epsabs=1e-12, epsrel=1e-10
    )
    return float(min(max(value, 0.0), 1.0))


# --- Planning ------------------------------------------------------------------------------------


def sample_size_per_group(baseline_rate, min_detectable_lift, alpha=0.05, power=0.8):
    """Customers needed in each group to detect a relative lift of the conversion rate.

    The usual two-proportion formula (Fleiss), pooled variance under the null, no continuity correction:
    n = (z_{1-alpha/2} sqrt(2 pbar qbar) + z_{power} sqrt(p1 q1 + p2 q2))^2 / (p2 - p1)^2,
    rounded up. A lift of 0.2 means 20% more conversions than the baseline (10% -> 12%).
    """
    p1 = baseline_rate
    p2 = baseline_rate * (1 + min_detectable_lift)
    if not 0 < p1 < 1 or not 0 < p2 < 1 or p1 == p2:
        raise ValueError("baseline_rate and baseline_rate * (1 + lift) must be distinct rates between 0 and 1")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be between 0 and 1")
    mean = (p1 + p2) / 2
    spread = norm.ppf(1 - alpha / 2) * math.sqrt(2 * mean * (1 - mean)) + norm.ppf(power) * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(spread**2 / (p2 - p1) ** 2)


# --- Peeking -------------------------------------------------------------------------------------


def obrien_fleming_alpha_spent(information_fraction, alpha=0.05):
    """Two-sided type I error the Lan-DeMets O'Brien-Fleming spending function allows by fraction t.

    alpha(t) = 2 - 2 Phi(z_{alpha/2} / sqrt(t)): almost nothing early on, all of alpha at t = 1.
    """
    t = _fraction(information_fraction)
    return float(2 * norm.sf(norm.isf(alpha / 2) / math.sqrt(t)))  # sf keeps its precision early on


def obrien_fleming_boundary(information_fraction, alpha=0.05):
    """The |z| a result must exceed to be read at information fraction t (share of the planned sample).

    Simplification: the boundary spends at once all the alpha allowed by t, z = Phi^-1(1 - alpha(t) / 2),
    which reduces to z_{alpha/2} / sqrt(t): 1.96 at t = 1, 2.77 at t = 0.5, 3.92 at t = 0.25 for
    alpha = 0.05. That is exact for the first interim look; a real group-sequential design computes
    later boundaries from the joint distribution of all looks, so reading the final result at 1.96
    after one look at t = 0.5 gives about 5.2% overall error instead of 5% (5.7% after a look at 0.75).
    Note that software using one-sided alpha = 0.025 in the same spending formula (gsDesign's
    ``sfLDOF``) reports a stricter 2.96 at t = 0.5.
    Past the planned sample (t > 1) the boundary stays at its final value.
    """
    t = _fraction(information_fraction)
    # The closed form: going through alpha(t) would underflow to 0 (an infinite boundary) for small t.
    return float(norm.isf(alpha / 2) / math.sqrt(t))


def is_early(information_fraction, z, alpha=0.05):
    """True while a result must not be read yet: the planned sample is not complete and |z| is below
    the O'Brien-Fleming boundary for this look.

    A |z| of 2.2 at half the planned sample "looks significant" (above 1.96) but is early: stopping on
    it would inflate the error rate. At t >= 1 nothing is early any more; the plain test applies.
    """
    t = _fraction(information_fraction)
    return t < 1 and abs(z) < obrien_fleming_boundary(t, alpha)


def _fraction(information_fraction):
    if not information_fraction > 0:
        raise ValueError("information_fraction must be > 0")
    return min(float(information_fraction), 1.0)
