from datetime import date

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_amount, format_date, formatLang

from ..pr_lib.rfm import SEGMENTS
from .idempotency import bulk_insert
from .pr_timezone import pr_local_date_sql

PERIODS = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
DIMENSIONS = [("all", "All customers"), ("tier", "By tier"), ("segment", "By RFM segment")]
HISTORY_MONTHS = 36
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# Counts summed per group; the rates are computed from them, so every rate is exact for its group.
COUNTS = [
    "customers_start",
    "customers_end",
    "customers_new",
    "purchasers",
    "repeaters",
    "referrers",
    "referrals",
    "nps_promoters",
    "nps_detractors",
    "nps_answers",
    "csat_satisfied",
    "csat_answers",
    "customers_to_date",
    "predicted_customers",
]
AMOUNTS = ["revenue", "revenue_to_date", "margin_to_date", "predicted_value"]
RATES = [
    "retention_rate",
    "repeat_rate",
    "referral_rate",
    "nps",
    "csat",
    "clv_historical",
    "margin_per_customer",
    "clv_predicted",
]


class PrMetric(models.Model):
    """The six metrics of the program per period, company, tier and RFM segment, refreshed by a cron.

    A table rather than a view: the metrics need a year of history per period and read the whole
    order book, so they are computed once (numpy over one read of the history) and every screen
    then opens at once, whatever the size of the database.
    """

    _name = "pr.metric"
    _description = "Customer Metrics"
    _order = "date desc, period, dimension, tier_id, rfm_segment"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period = fields.Selection(PERIODS, string="Period Length", required=True, readonly=True)
    date = fields.Date(string="Period Start", required=True, readonly=True)
    dimension = fields.Selection(DIMENSIONS, required=True, readonly=True)
    tier_id = fields.Many2one("pr.tier", readonly=True, help="The customers' current tier.")
    rfm_segment = fields.Selection(SEGMENTS, string="RFM Segment", readonly=True)
    # Counts
    customers_start = fields.Integer(
        string="Customers at Start", readonly=True, help="Customers who bought in the 12 months before the period."
    )
    customers_end = fields.Integer(
        string="Customers at End", readonly=True, help="Customers who bought in the 12 months up to its end."
    )
    customers_new = fields.Integer(string="New Customers", readonly=True, help="First purchase in the period.")
    purchasers = fields.Integer(string="Buying Customers", readonly=True, help="Customers who bought in the period.")
    repeaters = fields.Integer(
        string="Repeat Customers", readonly=True, help="Buying customers with two purchases or more to date."
    )
    referrers = fields.Integer(
        string="Referring Customers",
        readonly=True,
        help="Customers at the end of the period who had a referral qualify in it.",
    )
    referrals = fields.Integer(
        string="Qualified Referrals",
        readonly=True,
        help="Referrals of the group's customers that qualified in the period.",
    )
    nps_promoters = fields.Integer(string="Promoters", readonly=True)
    nps_detractors = fields.Integer(string="Detractors", readonly=True)
    nps_answers = fields.Integer(string="NPS Answers", readonly=True)
    csat_satisfied = fields.Integer(string="Satisfied Answers", readonly=True)
    csat_answers = fields.Integer(string="CSAT Answers", readonly=True)
    customers_to_date = fields.Integer(string="Customers to Date", readonly=True)
    predicted_customers = fields.Integer(readonly=True)
    revenue = fields.Monetary(readonly=True, help="Untaxed confirmed orders of the period, in company currency.")
    revenue_to_date = fields.Monetary(readonly=True)
    margin_to_date = fields.Monetary(readonly=True)
    predicted_value = fields.Monetary(readonly=True)
    # Rates (empty where the group has no one to count: shown as n/a)
    retention_rate = fields.Float(
        string="Retention Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="(Customers at the end − new customers) ÷ customers at the start. A customer is one who bought in "
        "the 12 months before the date.",
    )
    repeat_rate = fields.Float(
        string="Repeat Purchase Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the customers who bought in the period who have bought at least twice to date.",
    )
    referral_rate = fields.Float(
        string="Referral Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Referring customers ÷ customers at the end of the period: the share of the customers (who bought in "
        "the 12 months up to its end) who had a referral qualify in the period.",
    )
    nps = fields.Float(
        string="NPS",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="% promoters (9–10) − % detractors (0–6) among the NPS answers of the period.",
    )
    csat = fields.Float(
        string="CSAT (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the satisfaction answers and ratings of the period that are 4 or 5 out of 5.",
    )
    clv_historical = fields.Monetary(
        string="Revenue per Customer",
        readonly=True,
        aggregator="avg",
        help="Historical lifetime value: revenue to date ÷ customers to date.",
    )
    margin_per_customer = fields.Monetary(readonly=True, aggregator="avg", help="Margin to date ÷ customers to date.")
    clv_predicted = fields.Monetary(
        string="Predicted 12-Month Value",
        readonly=True,
        aggregator="avg",
        help="Average predicted value of the next 12 months (BG/NBD and Gamma-Gamma) of the customers to date, as "
        "scored last.",
    )
    clv_fit_id = fields.Many2one(
        "pr.clv.fit",
        string="Lifetime Value Fit",
        readonly=True,
        help="The model fit of the scoring the metrics were refreshed after: its parameters, or why nothing "
        "could be predicted.",
    )
    name = fields.Char(string="Period", compute="_compute_name")
    retention_display = fields.Char(string="Retention", compute="_compute_display")
    repeat_display = fields.Char(string="Repeat Purchase", compute="_compute_display")
    referral_display = fields.Char(string="Referral", compute="_compute_display")
    nps_display = fields.Char(string="Net Promoter Score", compute="_compute_display")
    csat_display = fields.Char(string="Satisfaction", compute="_compute_display")
    clv_display = fields.Char(string="Lifetime Value", compute="_compute_display")
    clv_predicted_display = fields.Char(string="Predicted per Customer", compute="_compute_clv_predicted_display")

    _period_idx = models.Index("(company_id, period, dimension, date)")

    @api.depends("period", "date")
    @api.depends_context("lang")
    def _compute_name(self):
        for metric in self:
            if metric.period == "year":
                metric.name = str(metric.date.year)
            elif metric.period == "quarter":
                metric.name = self.env._(
                    "Q%(quarter)s %(year)s", quarter=(metric.date.month - 1) // 3 + 1, year=metric.date.year
                )
            else:
                metric.name = format_date(self.env, metric.date, date_format="MMMM y")

    @api.depends(*RATES, *COUNTS)
    @api.depends_context("lang")
    def _compute_display(self):
        """The figures as the reader writes numbers and amounts (their language's separators and currency place)."""
        na = self.env._("n/a")

        def percent(value):
            return f"{formatLang(self.env, value, digits=1)} %"

        for metric in self:
            metric.retention_display = percent(metric.retention_rate) if metric.customers_start else na
            metric.repeat_display = percent(metric.repeat_rate) if metric.purchasers else na
            metric.referral_display = percent(metric.referral_rate) if metric.customers_end else na
            nps = formatLang(self.env, abs(metric.nps), digits=0)
            metric.nps_display = (f"+{nps}" if metric.nps >= 0 else f"-{nps}") if metric.nps_answers else na
            metric.csat_display = percent(metric.csat) if metric.csat_answers else na
            metric.clv_display = (
                format_amount(self.env, metric.clv_historical, metric.currency_id) if metric.customers_to_date else na
            )

    @api.depends("clv_predicted", "predicted_customers", "clv_fit_id.reason")
    @api.depends_context("lang")
    def _compute_clv_predicted_display(self):
        na = self.env._("n/a")
        for metric in self:
            if metric.predicted_customers:
                metric.clv_predicted_display = format_amount(self.env, metric.clv_predicted, metric.currency_id)
            else:
                metric.clv_predicted_display = metric.clv_fit_id.reason or na

    # ------------------------------------------------------------
    # READING
    # ------------------------------------------------------------

    def _web_read_group_fill_temporal(self, groups, groupby, aggregates, **fill_temporal):
        """Rates nobody was counted for are NULL: in a graph, a group of them is a gap (None), never 0.

        Odoo gives False for a NULL aggregate; a graph draws False as 0. The graph is the view that asks
        for ``fill_temporal``, so the rates become None here; the pivot keeps False, an empty cell.
        """
        groups = super()._web_read_group_fill_temporal(groups, groupby, aggregates, **fill_temporal)
        return undefined_rates_as_none(groups, groupby, aggregates)

    # ------------------------------------------------------------
    # REFRESH
    # ------------------------------------------------------------

    @api.model
    def _cron_refresh(self):
        """Score the customers first (segments and predicted value), then compute the metrics from them."""
        companies = [company for (company,) in self.env["sale.order"].sudo()._read_group([], ["company_id"])]
        self.env["ir.cron"]._commit_progress(remaining=len(companies))
        for company in companies:
            self.env["pr.member"]._pr_refresh_scores(company)
            self._pr_refresh(company)
            if not self.env["ir.cron"]._commit_progress(1):
                break

    def action_refresh(self):
        """Recompute the current company's scores and metrics now: heavy, so for managers only."""
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager"):
            raise AccessError(self.env._("Only a Positive Reinforcement manager can refresh the customer metrics."))
        company = self.env.company
        self.env["pr.member"]._pr_refresh_scores(company)
        self._pr_refresh(company)
        return {"type": "ir.actions.client", "tag": "reload"}

    @api.model
    def _pr_refresh(self, company, today=None):
        """Recompute the metrics of ``company`` over the last three years, replacing the previous ones.

        Days and months are the company's, in its time zone (see ``pr.member._pr_company_tz``).
        """
        today = today or self.env["pr.member"]._pr_company_today(company)
        history = _History(self.env, company, today)
        fit = self.env["pr.clv.fit"]._pr_latest(company)
        rows = []
        for period, months in PERIOD_MONTHS.items():
            for start in history.period_starts(months):
                rows.extend(history.rows(period, start, months))
        for row in rows:
            row["clv_fit_id"] = fit.id or None
        self.env.cr.execute(SQL("DELETE FROM pr_metric WHERE company_id = %s", company.id))
        if rows:
            columns = [
                "company_id",
                "period",
                "date",
                "dimension",
                "tier_id",
                "rfm_segment",
                "clv_fit_id",
                *COUNTS,
                *AMOUNTS,
                *RATES,
            ]
            bulk_insert(
                self.env,
                "pr_metric",
                {column: (_sql_type(column), [row.get(column) for row in rows]) for column in columns},
                fields.Datetime.now(),
            )
        self.invalidate_model()
        return len(rows)


class _History:
    """A company's customers month by month, as numpy matrices (customers × months)."""

    def __init__(self, env, company, today):
        self.env, self.company, self.today = env, company, today
        self.end_month = _month_index(today)
        self.first_month = self.end_month - HISTORY_MONTHS - 12 + 1
        Member = env["pr.member"]
        self.tz = Member._pr_company_tz(company)
        history = Member._pr_read_history(company, today)
        feedback = self._read_feedback()
        referrals = self._read_referrals()
        order_holders = history[0] if history else np.array([], dtype=int)
        self.holders = np.unique(np.concatenate([order_holders, feedback[0], referrals[0]]).astype(np.int64))
        shape = (self.holders.size, self.end_month - self.first_month + 1)
        self.bought = np.zeros(shape, dtype=bool)
        self.occasions = np.zeros(shape, dtype=np.int32)
        self.revenue = np.zeros(shape)
        self.margin = np.zeros(shape)
        self.first = np.full(self.holders.size, np.iinfo(np.int32).max, dtype=np.int64)
        if history:
            holders, days, amounts, margins, _refunds = history
            rows = np.searchsorted(self.holders, holders)
            months = np.array([_month_index(date.fromordinal(int(day))) for day in days]) - self.first_month
            np.minimum.at(self.first, rows, months)
            kept = months >= 0  # older than the window: only counts for the first purchase
            rows, months = rows[kept], months[kept]
            self.bought[rows, months] = True
            np.add.at(self.occasions, (rows, months), 1)
            np.add.at(self.revenue, (rows, months), amounts[kept])
            np.add.at(self.margin, (rows, months), margins[kept])
            # Occasions, revenue and margin before the window are carried in the first column.
            older = ~kept
            if older.any():
                rows_old = np.searchsorted(self.holders, holders[older])
                np.add.at(self.occasions[:, 0], rows_old, 1)
                np.add.at(self.revenue[:, 0], rows_old, amounts[older])
                np.add.at(self.margin[:, 0], rows_old, margins[older])
        self.cum_occasions = self.occasions.cumsum(axis=1)
        self.cum_revenue = self.revenue.cumsum(axis=1)
        self.cum_margin = self.margin.cumsum(axis=1)
        self.nps = self._matrix(shape, feedback, "nps")
        self.csat = self._matrix(shape, feedback, "csat")
        self.referred = np.zeros(shape, dtype=np.int32)
        self._add(self.referred, referrals[0], referrals[1], np.ones(referrals[0].size))
        self._read_groups()

    # --- reading ---------------------------------------------------------------

    def _read_feedback(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, %(day)s, metric, score FROM pr_feedback
                 WHERE company_id = %(company)s AND %(day)s >= %(start)s AND %(day)s <= %(today)s
                """,
                day=pr_local_date_sql(SQL("date"), self.tz),
                company=self.company.id,
                start=_month_start(self.first_month),
                today=self.today,
            )
        )
        return _columns(self.env.cr.fetchall(), 4)

    def _read_referrals(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT referrer_id, %(day)s FROM pr_referral
                 WHERE company_id = %(company)s AND state IN ('qualified', 'rewarded')
                   AND %(day)s >= %(start)s AND %(day)s <= %(today)s
                """,
                day=pr_local_date_sql(SQL("qualified_date"), self.tz),
                company=self.company.id,
                start=_month_start(self.first_month),
                today=self.today,
            )
        )
        return _columns(self.env.cr.fetchall(), 2)

    def _read_groups(self):
        """Each customer's current tier and segment, as indexes into small lists."""
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, tier_id, rfm_segment, clv_value, clv_probability_alive
                  FROM pr_member WHERE company_id = %s AND partner_id = ANY(%s)
                """,
                self.company.id,
                self.holders.tolist(),
            )
        )
        partners, tiers, segments, values, alive = _columns(self.env.cr.fetchall(), 5)
        self.tiers = [False, *self.env["pr.tier"].sudo()._get_ranked(self.company).ids]
        self.segments = [False, *(code for code, _label in SEGMENTS)]
        tier_index = {tier: i for i, tier in enumerate(self.tiers)}
        segment_index = {segment: i for i, segment in enumerate(self.segments)}
        rows = np.searchsorted(self.holders, partners.astype(np.int64))
        self.tier_of = np.zeros(self.holders.size, dtype=np.int64)
        self.segment_of = np.zeros(self.holders.size, dtype=np.int64)
        self.predicted = np.zeros(self.holders.size)
        self.has_prediction = np.zeros(self.holders.size, dtype=bool)
        self.tier_of[rows] = [tier_index.get(tier, 0) for tier in tiers]
        self.segment_of[rows] = [segment_index.get(segment, 0) for segment in segments]
        predicted = np.array(
            [value is not None and value_alive is not None for value, value_alive in zip(values, alive, strict=True)],
            dtype=bool,
        )
        self.has_prediction[rows] = predicted
        self.predicted[rows] = [float(value) if ok else 0.0 for value, ok in zip(values, predicted, strict=True)]

    def _matrix(self, shape, feedback, metric):
        """Per customer and month: answers, good answers and bad answers of one metric."""
        partners, dates, metrics, scores = feedback
        chosen = metrics == metric
        answers, good, bad = (np.zeros(shape, dtype=np.int32) for _i in range(3))
        scores = scores[chosen].astype(float)
        partners, dates = partners[chosen], dates[chosen]
        self._add(answers, partners, dates, np.ones(scores.size))
        if metric == "nps":
            self._add(good, partners, dates, scores >= 9)
            self._add(bad, partners, dates, scores <= 6)
        else:
            self._add(good, partners, dates, scores >= 4)
        return answers, good, bad

    def _add(self, matrix, partners, dates, weights):
        if not len(partners):
            return
        rows = np.searchsorted(self.holders, partners.astype(np.int64))
        months = np.array([_month_index(day) for day in dates]) - self.first_month
        kept = (months >= 0) & (months < matrix.shape[1])
        np.add.at(matrix, (rows[kept], months[kept]), np.asarray(weights, dtype=np.int32)[kept])

    # --- computing -------------------------------------------------------------

    def period_starts(self, months):
        """Starts (month indexes) of the periods of ``months`` months within the history, oldest first."""
        first_data = int(self.first.min()) + self.first_month if self.holders.size else self.end_month
        earliest = max(self.end_month - HISTORY_MONTHS + 1, first_data)
        start = self.end_month - (self.end_month % months)
        starts = []
        while start + months > earliest:
            starts.append(start)
            start -= months
        return sorted(starts)

    def rows(self, period, start, months):
        """The metric rows of one period: all customers, then per tier, then per segment."""
        a = start - self.first_month
        b = min(a + months, self.end_month - self.first_month + 1)  # the current period ends today
        window = 12
        has_any = self.first < np.iinfo(np.int32).max
        bought = self.bought[:, a:b].any(axis=1)
        columns = {
            "customers_start": self.bought[:, max(a - window, 0) : a].any(axis=1),
            "customers_end": self.bought[:, max(b - window, 0) : b].any(axis=1),
            "customers_new": has_any & (self.first >= a) & (self.first < b),
            "purchasers": bought,
            "repeaters": bought & (self.cum_occasions[:, b - 1] >= 2),
            "referrals": self.referred[:, a:b].sum(axis=1),
            "nps_promoters": self.nps[1][:, a:b].sum(axis=1),
            "nps_detractors": self.nps[2][:, a:b].sum(axis=1),
            "nps_answers": self.nps[0][:, a:b].sum(axis=1),
            "csat_satisfied": self.csat[1][:, a:b].sum(axis=1),
            "csat_answers": self.csat[0][:, a:b].sum(axis=1),
            "customers_to_date": has_any & (self.first < b),
            "revenue": self.revenue[:, a:b].sum(axis=1),
        }
        columns["referrers"] = columns["customers_end"] & (columns["referrals"] > 0)
        to_date = columns["customers_to_date"]
        columns["revenue_to_date"] = np.where(to_date, self.cum_revenue[:, b - 1], 0.0)
        columns["margin_to_date"] = np.where(to_date, self.cum_margin[:, b - 1], 0.0)
        columns["predicted_customers"] = to_date & self.has_prediction
        columns["predicted_value"] = np.where(columns["predicted_customers"], self.predicted, 0.0)
        base = {"company_id": self.company.id, "period": period, "date": _month_start(start)}
        rows = [{**base, "dimension": "all", **_totals(columns)}]
        for dimension, group_of, labels, field in (
            ("tier", self.tier_of, self.tiers, "tier_id"),
            ("segment", self.segment_of, self.segments, "rfm_segment"),
        ):
            sums = {
                name: np.bincount(group_of, weights=values, minlength=len(labels)) for name, values in columns.items()
            }
            for index, label in enumerate(labels):
                group = {name: values[index] for name, values in sums.items()}
                if label and (group["customers_to_date"] or group["nps_answers"] or group["csat_answers"]):
                    rows.append({**base, "dimension": dimension, field: label, **_rates(group)})
        return rows


def _sql_type(column):
    if column in ("company_id", "tier_id", "clv_fit_id", *COUNTS):
        return "int"
    if column == "date":
        return "date"
    if column in ("period", "dimension", "rfm_segment"):
        return "varchar"
    return "float8"


def _totals(columns):
    return _rates({name: values.sum() for name, values in columns.items()})


def _rates(group):
    """Counts as ints, amounts rounded, and the rates of the group (None where nobody is counted)."""

    def ratio(numerator, denominator, scale=100.0):
        return round(scale * numerator / denominator, 4) if denominator else None

    row = {name: int(round(group[name])) for name in COUNTS}
    row.update({name: round(float(group[name]), 2) for name in AMOUNTS})
    row["retention_rate"] = ratio(row["customers_end"] - row["customers_new"], row["customers_start"])
    row["repeat_rate"] = ratio(row["repeaters"], row["purchasers"])
    row["referral_rate"] = ratio(row["referrers"], row["customers_end"])
    row["nps"] = ratio(row["nps_promoters"] - row["nps_detractors"], row["nps_answers"])
    row["csat"] = ratio(row["csat_satisfied"], row["csat_answers"])
    row["clv_historical"] = ratio(row["revenue_to_date"], row["customers_to_date"], 1.0)
    row["margin_per_customer"] = ratio(row["margin_to_date"], row["customers_to_date"], 1.0)
    row["clv_predicted"] = ratio(row["predicted_value"], row["predicted_customers"], 1.0)
    return row


def undefined_rates_as_none(groups, groupby, aggregates):
    """``_read_group`` rows with None, not False, for the rates nobody was counted for."""
    positions = [len(groupby) + index for index, spec in enumerate(aggregates) if spec.split(":")[0] in RATES]
    if not positions:
        return groups
    rows = [list(group) for group in groups]
    for row in rows:
        for position in positions:
            if row[position] is False:
                row[position] = None
    return [tuple(row) for row in rows]


def _columns(rows, width):
    if not rows:
        return tuple(np.array([]) for _i in range(width))
    return tuple(np.array(column) for column in zip(*rows, strict=True))


def _month_index(day):
    return day.year * 12 + day.month - 1


def _month_start(index):
    return date(index // 12, index % 12 + 1, 1)
