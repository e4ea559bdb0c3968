import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from pr_lib.clv import (
    BGNBDParams,
    FitError,
    GammaGammaParams,
    bgnbd_log_likelihood,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    predict_clv,
    probability_alive,
    summary_from_transactions,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow():
    return np.genfromtxt(DATA / "cdnow_summary.csv", delimiter=",", names=True, skip_header=1)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow):
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def significant(value, digits=3):
    return float(f"{value:.{digits}g}")


# --- Published results ---------------------------------------------------------------------------


def test_bgnbd_reproduces_the_paper_on_cdnow(cdnow, cdnow_bgnbd):
    # Fader, Hardie & Lee (2005), section 5: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    fit = cdnow_bgnbd
    assert len(cdnow) == 2357
    assert (significant(fit.r), significant(fit.alpha, 4), significant(fit.a), significant(fit.b, 4)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_the_note_on_cdnow(cdnow):
    # Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": p = 6.25, q = 3.74, gamma = 15.44,
    # estimated on the 946 customers with a repeat purchase.
    fit = fit_gamma_gamma(cdnow["x"], cdnow["m"])
    assert (significant(fit.p), significant(fit.q), significant(fit.v)) == (6.25, 3.74, 15.4)
    assert fit.v == pytest.approx(15.44, abs=0.01)
    # The note's mean spend of a new customer is p gamma / (q - 1) = $35.17 ...
    assert fit.population_mean == pytest.approx(35.17, abs=0.01)
    # ... and the zero-repeat customers in the file do not take part in the fit.
    repeat = cdnow["x"] > 0
    assert repeat.sum() == 946
    assert fit == fit_gamma_gamma(cdnow["x"][repeat], cdnow["m"][repeat])


def test_expected_purchases_match_a_direct_integration(cdnow_bgnbd):
    """Eq. 10 (with its hypergeometric function) against an independent route.

    Given the history and that the customer is alive, lambda ~ Gamma(r + x, alpha + T) and
    p ~ Beta(a, b + x); a customer with rate lambda and dropout p makes (1 - exp(-lambda p t)) / p
    purchases in t periods on average. Integrating out lambda in closed form leaves one integral over p.
    """
    fit = cdnow_bgnbd
    t = 39.0
    for x, t_x, T in [(2, 30.43, 38.86), (0, 0.0, 38.86), (1, 1.71, 38.86), (10, 34.14, 38.86), (29, 37.71, 38.0)]:
        shape, scale = fit.r + x, fit.alpha + T
        posterior = stats.beta(fit.a, fit.b + x)

        def integrand(p, shape=shape, scale=scale, posterior=posterior):
            return (1 - (scale / (scale + p * t)) ** shape) / p * posterior.pdf(p)

        alive_purchases = integrate.quad(integrand, 0, 1, limit=200, epsabs=1e-11)[0]
        direct = probability_alive(fit, [x], [t_x], [T])[0] * alive_purchases
        assert expected_purchases(fit, t, [x], [t_x], [T])[0] == pytest.approx(direct, rel=1e-6)


def test_summary_rebuilt_from_raw_cdnow_transactions(cdnow):
    raw = np.loadtxt(DATA / "cdnow_calibration_transactions.csv", delimiter=",", skiprows=2)
    start = datetime.date(1997, 1, 1).toordinal()
    days = start + raw[:, 1].astype(int)
    end = datetime.date(1997, 9, 30).toordinal()
    ids, x, t_x, T, m = summary_from_transactions(raw[:, 0].astype(int), days, raw[:, 2], end)
    assert ids.tolist() == cdnow["id"].astype(int).tolist()
    assert x.tolist() == cdnow["x"].tolist()
    np.testing.assert_allclose(t_x, cdnow["t_x"], atol=0.005)
    np.testing.assert_allclose(T, cdnow["T"], atol=0.005)
    repeat = x > 0
    np.testing.assert_allclose(m[repeat], cdnow["m"][repeat], atol=0.0051)  # the file rounds to cents
    assert np.isnan(m[~repeat]).all()


# --- Simulated data: known parameters come back --------------------------------------------------


def simulate(rng, count, r, alpha, a, b, T, horizon):
    """BG/NBD customers observed for T, then for ``horizon`` more periods.

    Returns x, t_x, whether each customer is still alive at T, and the purchases in (T, T + horizon].
    """
    rate = rng.gamma(r, 1.0 / alpha, size=count)
    dropout = rng.beta(a, b, size=count)
    x, t_x, later = np.zeros(count), np.zeros(count), np.zeros(count)
    now = np.zeros(count)
    alive = alive_at_T = np.ones(count, dtype=bool)
    while alive.any():
        with np.errstate(divide="ignore"):
            now = now + rng.exponential(1.0, size=count) / rate
        buys = alive & (now <= T + horizon)
        observed = buys & (now <= T)
        x[observed] += 1
        t_x[observed] = now[observed]
        later[buys & ~observed] += 1
        stays = rng.random(count) >= dropout  # dropout only ever follows a repeat purchase
        alive_at_T = np.where(observed, stays, alive_at_T)
        alive = buys & stays
    return x, t_x, alive_at_T, later


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20050601)
    T = rng.uniform(26, 78, size=10000)
    truth = BGNBDParams(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=np.nan)
    x, t_x, alive, later = simulate(rng, T.size, truth.r, truth.alpha, truth.a, truth.b, T, horizon=52)
    return truth, x, t_x, T, alive, later


def test_bgnbd_recovers_known_parameters(simulated):
    truth, x, t_x, T, _alive, _later = simulated
    fit = fit_bgnbd(x, t_x, T)
    assert fit.r == pytest.approx(truth.r, rel=0.1)
    assert fit.alpha == pytest.approx(truth.alpha, rel=0.1)
    assert fit.a == pytest.approx(truth.a, rel=0.2)
    assert fit.b == pytest.approx(truth.b, rel=0.2)
    # The estimate is the maximum: the true parameters explain the data less well.
    assert fit.log_likelihood > bgnbd_log_likelihood(truth.r, truth.alpha, truth.a, truth.b, x, t_x, T).sum()


def test_predictions_match_what_simulated_customers_do(simulated):
    truth, x, t_x, T, alive, later = simulated
    predicted = expected_purchases(truth, 52, x, t_x, T)
    assert predicted.sum() == pytest.approx(later.sum(), rel=0.05)
    for group in (x == 0, x == 1, (x >= 2) & (x < 5), x >= 5):
        assert predicted[group].sum() == pytest.approx(later[group].sum(), rel=0.1)
    p_alive = probability_alive(truth, x, t_x, T)
    repeat = x > 0
    assert p_alive[~repeat].tolist() == [1.0] * int((~repeat).sum())
    assert p_alive[repeat].mean() == pytest.approx(alive[repeat].mean(), abs=0.02)
    unlikely = repeat & (p_alive < 0.3)
    assert alive[unlikely].mean() < 0.3 < alive[repeat & (p_alive > 0.7)].mean()


def test_gamma_gamma_recovers_known_parameters():
    rng = np.random.default_rng(2013)
    p, q, v = 4.0, 3.0, 20.0
    x = rng.integers(1, 8, size=20000).astype(float)
    customer_rate = rng.gamma(q, 1.0 / v, size=x.size)  # each customer's own spend scale varies
    m = rng.gamma(p * x, 1.0 / (x * customer_rate))  # mean of x Gamma(p, customer_rate) values
    fit = fit_gamma_gamma(x, m)
    assert fit.p == pytest.approx(p, rel=0.1)
    assert fit.q == pytest.approx(q, rel=0.1)
    assert fit.v == pytest.approx(v, rel=0.15)
    assert fit.population_mean == pytest.approx(p * v / (q - 1), rel=0.03)
    assert fit.log_likelihood > gamma_gamma_log_likelihood(p, q, v, x, m).sum()


# --- Spend and CLV -------------------------------------------------------------------------------

SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44, log_likelihood=np.nan)


def test_expected_spend_shrinks_towards_the_population_mean():
    population = 6.25 * 15.44 / 2.74
    spend = expected_spend(SPEND, [0, 1, 10, 1000], [np.nan, 100.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(population)
    # One purchase of $100 moves the estimate only part of the way; many purchases nearly all of it.
    assert population < spend[1] < spend[2] < spend[3] < 100
    assert spend[3] == pytest.approx(100, rel=0.01)
    assert spend[1] == pytest.approx(6.25 * (15.44 + 100) / (6.25 + 2.74))


def test_predict_clv_is_purchases_times_spend_and_discounting_lowers_it(cdnow_bgnbd):
    x, t_x, T, m = [0, 2, 10], [0.0, 30.43, 34.14], [38.86, 38.86, 38.86], [np.nan, 22.35, 24.24]
    weeks = 12 * 365.25 / 12 / 7
    plain = predict_clv(cdnow_bgnbd, SPEND, x, t_x, T, m, months=12)
    expected = expected_purchases(cdnow_bgnbd, weeks, x, t_x, T) * expected_spend(SPEND, x, m)
    np.testing.assert_allclose(plain, expected)
    discounted = predict_clv(cdnow_bgnbd, SPEND, x, t_x, T, m, months=12, monthly_discount_rate=0.01)
    # Every month's purchases are discounted by between 1.01**-1 and 1.01**-12.
    assert np.all(discounted < plain * 1.01**-1)
    assert np.all(discounted > plain * 1.01**-12)
    assert predict_clv(cdnow_bgnbd, SPEND, x, t_x, T, m, months=0).tolist() == [0.0, 0.0, 0.0]


# --- Edge cases ----------------------------------------------------------------------------------


def test_empty_and_mismatched_inputs_are_refused(cdnow_bgnbd):
    with pytest.raises(ValueError, match="no customers"):
        fit_bgnbd([], [], [])
    with pytest.raises(ValueError, match="same length"):
        fit_bgnbd([1, 0], [3.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="same length"):
        expected_purchases(cdnow_bgnbd, 10, [1], [3.0], [10.0, 12.0])
    with pytest.raises(ValueError, match="same length"):
        predict_clv(cdnow_bgnbd, SPEND, [1, 2], [3.0, 4.0], [10.0, 10.0], [20.0])
    with pytest.raises(ValueError, match="no customers"):
        fit_gamma_gamma([], [])
    with pytest.raises(ValueError, match="no transactions"):
        summary_from_transactions([], [], [], observation_end=730000)


def test_impossible_summaries_are_refused():
    with pytest.raises(ValueError, match="between 0"):
        fit_bgnbd([1, 2], [12.0, 5.0], [10.0, 10.0])  # last purchase after the end of observation
    with pytest.raises(ValueError, match="whole numbers"):
        fit_bgnbd([1.5, 2], [5.0, 5.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="x = 0"):
        fit_bgnbd([0, 2], [3.0, 5.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="no customer made a repeat purchase"):
        fit_bgnbd([0, 0], [0.0, 0.0], [10.0, 12.0])


def test_gamma_gamma_needs_enough_repeat_customers():
    with pytest.raises(ValueError, match="at least 3 repeat customers, got 2"):
        fit_gamma_gamma([0, 0, 0, 3, 1], [np.nan, 0.0, np.nan, 20.0, 25.0])
    with pytest.raises(ValueError, match="positive"):
        fit_gamma_gamma([1, 2, 3], [10.0, 0.0, 12.0])
    fit = fit_gamma_gamma([0, 1, 2, 3], [np.nan, 10.0, 20.0, 15.0])  # three are enough to get numbers
    assert np.isfinite([fit.p, fit.q, fit.v]).all()


def test_fit_errors_say_why_in_a_code():
    with pytest.raises(FitError) as no_repeat:
        fit_bgnbd([0, 0], [0.0, 0.0], [10.0, 12.0])
    assert no_repeat.value.code == "no_repeat"
    with pytest.raises(FitError) as few:
        fit_gamma_gamma([0, 0, 0, 3, 1], [np.nan, 0.0, np.nan, 20.0, 25.0])
    assert (few.value.code, few.value.count, few.value.needed) == ("few_repeat", 2, 3)


def test_single_purchase_customers_get_the_population_spend(cdnow_bgnbd):
    spend = expected_spend(SPEND, [0, 0], [np.nan, 0.0])
    assert spend.tolist() == [SPEND.population_mean] * 2
    assert SPEND.population_mean == pytest.approx(6.25 * 15.44 / 2.74)
    with pytest.raises(ValueError, match="infinite"):
        expected_spend(GammaGammaParams(p=2.0, q=0.9, v=10.0, log_likelihood=np.nan), [0], [np.nan])
    clv = predict_clv(cdnow_bgnbd, SPEND, [0], [0.0], [38.86], [np.nan])
    assert np.isfinite(clv).all() and clv[0] > 0


def test_penalizer_shrinks_the_parameters(cdnow, cdnow_bgnbd):
    penalized = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], penalizer=0.01)
    squares = lambda fit: fit.r**2 + fit.alpha**2 + fit.a**2 + fit.b**2  # noqa: E731
    assert squares(penalized) < squares(cdnow_bgnbd)
    assert penalized.log_likelihood < cdnow_bgnbd.log_likelihood


def test_summary_merges_same_day_transactions_and_cuts_at_the_end():
    # Customer 7: day 100 (twice, merged), day 114, day 128, and day 200 after the end.
    # Customer 3: one purchase only. Input deliberately out of order.
    ids, x, t_x, T, m = summary_from_transactions(
        customer_ids=np.array([7, 3, 7, 7, 7, 7]),
        dates_as_ordinal_days=np.array([114, 120, 100, 128, 100, 200]),
        amounts=np.array([30.0, 50.0, 10.0, 50.0, 5.0, 999.0]),
        observation_end=142,
    )
    assert ids.tolist() == [3, 7]
    assert x.tolist() == [0.0, 2.0]
    assert t_x.tolist() == [0.0, 4.0]  # weeks: day 128 - day 100
    assert T.tolist() == pytest.approx([22 / 7, 6.0])
    assert np.isnan(m[0]) and m[1] == 40.0  # the first purchase (10 + 5) is not a repeat
    _ids, x_days, t_x_days, _T, _m = summary_from_transactions([7, 7], [100, 103], [1.0, 2.0], 110, unit_days=1)
    assert (x_days.tolist(), t_x_days.tolist()) == ([1.0], [3.0])
