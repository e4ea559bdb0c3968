"""Predictive customer lifetime value: how many more purchases a customer will make, and what they are worth.

Two classic models from the marketing-science literature, fitted by maximum likelihood:

* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") for the number of
  repeat purchases: while alive, a customer buys at a Poisson rate (gamma distributed over customers,
  parameters ``r, alpha``) and after each purchase may drop out for good (beta distributed dropout
  probability, parameters ``a, b``).
* Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013, "The Gamma-Gamma Model
  of Monetary Value") for the value of those purchases: a customer's transaction values are gamma
  distributed around their own mean, which in turn varies over customers (parameters ``p, q, v``).

The inputs are the usual recency/frequency summary, all in one time unit (weeks by default):
``x`` the number of repeat purchases, ``t_x`` the time of the last purchase and ``T`` the age of the
customer, both counted from their first purchase, and ``m`` the mean value of the repeat purchases.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

DAYS_PER_MONTH = 365.25 / 12
MIN_REPEAT_CUSTOMERS = 3  # below this the three spend parameters are not identified


class FitError(ValueError):
    """The history cannot support a fit. ``code`` says why, for callers that explain it to people.

    Codes: ``no_repeat`` (no customer came back), ``few_repeat`` (``count`` repeat customers where
    ``needed`` are needed) and ``no_convergence`` (the likelihood could not be maximized).
    """

    def __init__(self, message, code, count=None, needed=None):
        super().__init__(message)
        self.code = code
        self.count = count
        self.needed = needed


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters and the (unpenalized) log-likelihood they reach."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (``v`` is the paper's gamma) and their log-likelihood."""

    p: float
    q: float
    v: float
    log_likelihood: float

    @property
    def population_mean(self):
        """Mean transaction value of a customer we know nothing about: ``p v / (q - 1)``."""
        if self.q <= 1:
            raise ValueError("the Gamma-Gamma population mean is infinite when q <= 1")
        return self.p * self.v / (self.q - 1)


def _arrays(*columns, names):
    """The columns as float arrays, refused when empty or of different lengths."""
    arrays = [np.asarray(column, dtype=float) for column in columns]
    if any(array.ndim != 1 for array in arrays):
        raise ValueError("%s must be one-dimensional arrays" % ", ".join(names))
    if len({array.shape for array in arrays}) > 1:
        raise ValueError("%s must have the same length" % ", ".join(names))
    if not arrays[0].size:
        raise ValueError("no customers: %s are empty" % ", ".join(names))
    return arrays


def _check_summary(x, t_x, T):
    x, t_x, T = _arrays(x, t_x, T, names=("x", "t_x", "T"))
    if np.any(~np.isfinite(x) | ~np.isfinite(t_x) | ~np.isfinite(T)):
        raise ValueError("x, t_x and T must be finite numbers")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x (repeat purchases) must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("recency t_x must lie between 0 and the customer's age T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("a customer without repeat purchases (x = 0) must have t_x = 0")
    return x, t_x, T


# --- BG/NBD -------------------------------------------------------------------------------------


def bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T):
    """Log-likelihood of each customer under BG/NBD (eq. 6 of the paper), computed in log space.

    The likelihood is a sum of two terms, "still alive at T" and "dropped out right after the last
    purchase at t_x" (the second only exists when x > 0); ``logaddexp`` adds them without overflow.
    """
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # betaln(a + 1, b - 1) is undefined for b <= 1, but then x = 0 and the term is dropped anyway.
    x_repeat = np.where(repeat, x, 1.0)
    dropped = np.where(
        repeat,
        betaln(a + 1, b + x_repeat - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(alive, dropped)


def _fit(negative_log_likelihood, start):
    """Minimize over log-parameters, so every parameter stays positive without bounds.

    Nelder-Mead is robust on these small, smooth but badly scaled likelihoods. Its default first
    simplex is relative to the start point, hence tiny around log(1) = 0; a step of 0.5 in log space
    (a factor of 1.65) explores properly. A second, smaller simplex from the first optimum restarts the
    search, which guards against a simplex that collapsed before reaching the optimum. On a flat ridge
    (parameters not identified, e.g. spend that hardly varies between customers) the restart may wander
    without ever stopping: when it found nothing better than a first pass that converged, that optimum
    stands.
    """
    point = np.log(np.asarray(start, dtype=float))
    options = {"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000, "maxfev": 40000}
    converged = None  # the last pass that converged
    for step in (0.5, 0.05):
        simplex = np.vstack([point, point + step * np.eye(point.size)])
        result = minimize(
            negative_log_likelihood, point, method="Nelder-Mead", options=options | {"initial_simplex": simplex}
        )
        no_better = converged is not None and result.fun >= converged.fun - 1e-9 * max(1.0, abs(converged.fun))
        if result.success:
            converged = result
        point = result.x
    if not result.success and no_better:
        point = converged.x
    elif not result.success:
        converged = None
    if converged is None or not np.all(np.isfinite(point)):
        raise FitError("maximum likelihood fit did not converge: %s" % result.message, "no_convergence")
    return np.exp(point)


def fit_bgnbd(x, t_x, T, penalizer=0.0):
    """Fit BG/NBD by maximum likelihood on customer summaries (all customers, x = 0 included).

    ``penalizer`` adds ``penalizer * sum(param**2)`` to the mean negative log-likelihood (the
    convention of the lifetimes package): a ridge that keeps parameters finite on small or
    degenerate data. Leave it at 0 to get the plain maximum likelihood estimate.
    """
    x, t_x, T = _check_summary(x, t_x, T)
    if not np.any(x > 0):
        raise FitError("no customer made a repeat purchase: the purchase rate cannot be estimated", "no_repeat", 0, 1)
    if penalizer < 0:
        raise ValueError("penalizer must be >= 0")
    count = x.size

    def objective(log_params):
        params = np.exp(log_params)
        value = -bgnbd_log_likelihood(*params, x, t_x, T).sum() / count + penalizer * np.sum(params**2)
        return value if np.isfinite(value) else np.inf

    # Start from a unit-shape gamma whose mean matches the observed purchase rate, and a dropout
    # probability of one half.
    rate = max(x.sum() / T.sum(), 1e-6)
    r, alpha, a, b = _fit(objective, [1.0, 1.0 / rate, 1.0, 1.0])
    log_likelihood = float(bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T).sum())
    return BGNBDParams(float(r), float(alpha), float(a), float(b), log_likelihood)


def _log_alive_odds(params, x, t_x, T):
    """Log of the odds of "dropped out after the last purchase" against "still alive"; -inf when x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x_repeat = np.where(x > 0, x, 1.0)
    log_odds = np.log(a) - np.log(b + x_repeat - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, log_odds, -np.inf)


def probability_alive(params, x, t_x, T):
    """Probability that each customer is still active at the end of observation (eq. 11).

    A customer who never came back (x = 0) cannot have dropped out under BG/NBD, which only lets
    customers leave right after a purchase, so their probability is 1.
    """
    x, t_x, T = _check_summary(x, t_x, T)
    return expit(-_log_alive_odds(params, x, t_x, T))


def expected_purchases(params, t, x, t_x, T):
    """Expected number of purchases in the next ``t`` periods given each customer's history (eq. 10).

    ``t`` is a number or an array broadcastable against the customers.
    """
    x, t_x, T = _check_summary(x, t_x, T)
    t = np.asarray(t, dtype=float)
    if np.any(t < 0):
        raise ValueError("the horizon t must be >= 0")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a == 1:
        raise ValueError("expected_purchases needs a != 1 (the closed form divides by a - 1)")
    shape = r + x
    ratio = np.exp(shape * (np.log(alpha + T) - np.log(alpha + T + t)))
    numerator = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp2f1(shape, b + x, a + b + x - 1, t / (alpha + T + t)))
    return numerator * np.exp(-np.logaddexp(0.0, _log_alive_odds(params, x, t_x, T)))


# --- Gamma-Gamma --------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(p, q, v, x, m):
    """Log-likelihood of each repeat customer's mean spend ``m`` over ``x`` transactions."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )


def _repeat_spend(x, m):
    """Only repeat customers tell anything about spend; their mean values must be positive."""
    x, m = _arrays(x, m, names=("x", "m"))
    if np.any(~np.isfinite(x) | (x < 0) | (x != np.round(x))):
        raise ValueError("x (repeat purchases) must be whole numbers >= 0")
    repeat = x > 0
    if np.any(~np.isfinite(m[repeat]) | (m[repeat] <= 0)):
        raise ValueError("the mean spend m of repeat customers must be a positive number")
    return x, m, repeat


def fit_gamma_gamma(x, m):
    """Fit the Gamma-Gamma spend model by maximum likelihood.

    Customers with x = 0 are accepted and ignored: without a repeat purchase their mean repeat spend
    does not exist. The model assumes spend does not depend on purchase frequency; check that the
    correlation between ``x`` and ``m`` is weak before trusting it.
    """
    x, m, repeat = _repeat_spend(x, m)
    x, m = x[repeat], m[repeat]
    if x.size < MIN_REPEAT_CUSTOMERS:
        raise FitError(
            "the Gamma-Gamma model needs at least %d repeat customers, got %d" % (MIN_REPEAT_CUSTOMERS, x.size),
            "few_repeat",
            int(x.size),
            MIN_REPEAT_CUSTOMERS,
        )

    def objective(log_params):
        value = -gamma_gamma_log_likelihood(*np.exp(log_params), x, m).sum() / x.size
        return value if np.isfinite(value) else np.inf

    # Start with a spread of transaction values around each customer's mean (p = 1) and customer
    # means spread with a finite variance (q = 3), scaled so the population mean p v / (q - 1)
    # matches the observed one.
    p, q, v = _fit(objective, [1.0, 3.0, 2.0 * np.average(m, weights=x)])
    log_likelihood = float(gamma_gamma_log_likelihood(p, q, v, x, m).sum())
    return GammaGammaParams(float(p), float(q), float(v), log_likelihood)


def expected_spend(params, x, m):
    """Expected value of a customer's future transactions (eq. 5 of the 2013 note).

    A weighted mix of the population mean and the customer's own mean, trusting the customer's mean
    more the more transactions it rests on. Customers without a repeat purchase (x = 0, ``m`` may be
    NaN) get the population mean ``p v / (q - 1)``.
    """
    x, m, repeat = _repeat_spend(x, m)
    p, q, v = params.p, params.q, params.v
    fallback = params.population_mean if not repeat.all() else np.nan
    own = np.where(repeat, m, 0.0)
    return np.where(repeat, p * (v + x * own) / (p * x + q - 1), fallback)


# --- Both together -------------------------------------------------------------------------------


def predict_clv(bgnbd, gamma_gamma, x, t_x, T, m, months=12, unit_days=7, monthly_discount_rate=0.0):
    """Expected value of each customer's purchases over the next ``months`` months.

    Expected purchases (BG/NBD) times expected value per purchase (Gamma-Gamma). ``x, t_x, T`` are in
    units of ``unit_days`` days (weeks by default, as :func:`summary_from_transactions` makes them).
    With a discount rate, the purchases expected in month k are discounted by ``(1 + rate) ** k``;
    at the default rate of 0 this is simply purchases over the horizon times spend.
    """
    if months < 0:
        raise ValueError("months must be >= 0")
    if monthly_discount_rate < 0:
        raise ValueError("monthly_discount_rate must be >= 0")
    x, t_x, T, m = _arrays(x, t_x, T, m, names=("x", "t_x", "T", "m"))
    spend = expected_spend(gamma_gamma, x, m)
    periods_per_month = DAYS_PER_MONTH / unit_days
    if not monthly_discount_rate:
        return expected_purchases(bgnbd, months * periods_per_month, x, t_x, T) * spend
    month_ends = np.arange(int(np.ceil(months)) + 1, dtype=float)
    month_ends[-1] = months  # a fractional last month counts for its fraction
    cumulative = expected_purchases(bgnbd, month_ends[:, None] * periods_per_month, x, t_x, T)
    per_month = np.diff(cumulative, axis=0)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, per_month.shape[0] + 1)
    return discount @ per_month * spend


# --- From raw transactions -----------------------------------------------------------------------


def summary_from_transactions(customer_ids, dates_as_ordinal_days, amounts, observation_end, unit_days=7):
    """Turn raw transactions into the ``(ids, x, t_x, T, m)`` summary the models need.

    Transactions of one customer on one day count as one transaction (their amounts add up), since
    the models count purchase occasions. Transactions after ``observation_end`` (an ordinal day, the
    last day observed) are left out. ``x`` counts the repeat transactions, ``t_x`` and ``T`` are the
    times from the first transaction to the last one and to ``observation_end`` in units of
    ``unit_days`` days, and ``m`` is the mean value of the repeat transactions (the first one is
    excluded, as in the literature), NaN for customers without one. ``ids`` come out sorted.
    """
    customer_ids = np.asarray(customer_ids)
    days = np.asarray(dates_as_ordinal_days)
    amounts = np.asarray(amounts, dtype=float)
    if customer_ids.ndim != 1 or customer_ids.shape != days.shape or days.shape != amounts.shape:
        raise ValueError("customer_ids, dates and amounts must be one-dimensional and of the same length")
    if days.size and np.any(days != np.floor(days)):
        raise ValueError("dates must be whole ordinal days")
    if not np.all(np.isfinite(amounts)):
        raise ValueError("amounts must be finite numbers")
    if unit_days <= 0:
        raise ValueError("unit_days must be > 0")
    observed = days <= observation_end
    customer_ids, days, amounts = customer_ids[observed], days[observed].astype(np.int64), amounts[observed]
    if not customer_ids.size:
        raise ValueError("no transactions on or before the end of observation")

    # Sort by customer, then day; merge the transactions of a customer's day into one.
    order = np.lexsort((days, customer_ids))
    customer_ids, days, amounts = customer_ids[order], days[order], amounts[order]
    new_occasion = np.ones(days.size, dtype=bool)
    new_occasion[1:] = (customer_ids[1:] != customer_ids[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new_occasion)
    occasion_ids, occasion_days = customer_ids[starts], days[starts]
    occasion_amounts = np.add.reduceat(amounts, starts)

    # Per customer: first and last occasion, their count and the spend after the first.
    ids, first, count = np.unique(occasion_ids, return_index=True, return_counts=True)
    last = first + count - 1
    x = (count - 1).astype(float)
    t_x = (occasion_days[last] - occasion_days[first]) / unit_days
    T = (observation_end - occasion_days[first]) / unit_days
    repeat_spend = np.add.reduceat(occasion_amounts, first) - occasion_amounts[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(x > 0, repeat_spend / x, np.nan)
    return ids, x, t_x, T, m
