import logging
from datetime import date

import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL

from ..pr_lib.clv import (
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
    probability_alive,
    summary_from_transactions,
)
from ..pr_lib.rfm import SEGMENTS, rfm_scores, rfm_segment
from .idempotency import bulk_insert
from .pr_member import NEW_MEMBER_ZEROS
from .pr_timezone import pr_local_date_sql

_logger = logging.getLogger(__name__)

# The models are fitted on at most this many customers (a fixed random sample), then applied to all:
# the parameters of a population are well estimated long before 100,000 customers.
FIT_SAMPLE = 20000
WRITE_BATCH = 20000
HORIZON_MONTHS = 12
MODEL_CODES = ("bgnbd", "gamma_gamma")


class PrMember(models.Model):
    """Scores of each customer from their own order history: RFM segment and predicted lifetime value."""

    _inherit = "pr.member"

    rfm_recency = fields.Integer(string="Recency Score", readonly=True, help="1 to 5: 5 bought most recently.")
    rfm_frequency = fields.Integer(string="Frequency Score", readonly=True, help="1 to 5: 5 buys most often.")
    rfm_monetary = fields.Integer(string="Monetary Score", readonly=True, help="1 to 5: 5 spends most.")
    rfm_segment = fields.Selection(SEGMENTS, string="RFM Segment", readonly=True, index=True)
    orders_count = fields.Integer(string="Purchases", readonly=True, help="Days with a confirmed order.")
    last_order_date = fields.Date(readonly=True)
    revenue_to_date = fields.Monetary(
        string="Revenue to Date",
        readonly=True,
        aggregator="sum",
        help="Historical lifetime value: confirmed orders, untaxed, minus posted credit notes, in company currency.",
    )
    margin_to_date = fields.Monetary(string="Margin to Date", readonly=True, aggregator="sum")
    clv_purchases = fields.Float(
        string="Expected Purchases (12 months)",
        readonly=True,
        digits=(16, 2),
        help="BG/NBD model: purchases expected in the next 12 months.",
    )
    clv_probability_alive = fields.Float(
        string="Probability Active",
        readonly=True,
        digits=(16, 3),
        help="BG/NBD model: the probability that the customer still buys from us.",
    )
    clv_value = fields.Monetary(
        string="Predicted Value (12 months)",
        readonly=True,
        aggregator="sum",
        help="Expected purchases times the expected value of a purchase (Gamma-Gamma model).",
    )
    scores_date = fields.Date(string="Scored On", readonly=True)
    clv_fit_id = fields.Many2one(
        "pr.clv.fit",
        string="Lifetime Value Fit",
        readonly=True,
        ondelete="set null",
        help="The model fit of the last scoring: its parameters, or why nothing could be predicted.",
    )
    clv_reason = fields.Char(
        string="Why No Prediction",
        compute="_compute_clv_reason",
        help="Why the last scoring predicted no lifetime value for this customer's company.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.depends("clv_fit_id.state", "clv_fit_id.reason")
    @api.depends_context("lang")
    def _compute_clv_reason(self):
        for member in self:
            member.clv_reason = member.clv_fit_id.reason or False

    # ------------------------------------------------------------
    # SCORING
    # ------------------------------------------------------------

    @api.model
    def _pr_refresh_scores(self, company, today=None):
        """Score every customer of ``company`` who ever bought: RFM, historical and predicted value.

        One query reads the order history, numpy and scipy do the rest, and the results are written
        back in batches of plain SQL updates. Customers who bought get a member if they had none.
        Returns a short summary for the chatter and the logs.
        """
        today = today or self._pr_company_today(company)
        history = self._pr_read_history(company, today)
        if history is None:
            self._pr_clear_scores(company, [])
            return {"customers": 0}
        holders, days, amounts, margins, refunds = history
        ids, x, t_x, T, m = summary_from_transactions(holders, days, amounts, today.toordinal())
        position = np.searchsorted(ids, holders)
        revenue = np.bincount(position, weights=amounts, minlength=ids.size)
        margin = np.bincount(position, weights=margins, minlength=ids.size)
        net_revenue = np.maximum(revenue - _by_id(ids, refunds), 0.0)
        recency = np.rint((T - t_x) * 7).astype(int)  # days since the last purchase
        last_day = today.toordinal() - recency
        frequency = x + 1
        r, f, mo = rfm_scores(recency, frequency, net_revenue)
        segments = rfm_segment(r, f, mo)
        purchases, alive, value, fits = self._pr_predict(company, today, ids, x, t_x, T, m)
        fit = fits._pr_explanation()
        note = _note(fits)
        self._pr_write_scores(
            company,
            today,
            fit,
            {
                "partner_id": ids.astype(int).tolist(),
                "rfm_recency": r.astype(int).tolist(),
                "rfm_frequency": f.astype(int).tolist(),
                "rfm_monetary": mo.astype(int).tolist(),
                "rfm_segment": segments.tolist(),
                "orders_count": frequency.astype(int).tolist(),
                "last_order_date": [date.fromordinal(int(day)) for day in last_day],
                "revenue_to_date": np.round(net_revenue, 2).tolist(),
                "margin_to_date": np.round(margin, 2).tolist(),
                "clv_purchases": purchases,
                "clv_probability_alive": alive,
                "clv_value": value,
            },
        )
        _logger.info("Scored %s customers of %s. %s", ids.size, company.name, note)
        return {"customers": int(ids.size), "note": note, "fit": fit}

    @api.model
    def _pr_company_tz(self, company):
        """The time zone a company's days and months are counted in: see ``res.company._pr_tz``."""
        return company.with_env(self.env)._pr_tz()

    @api.model
    def _pr_company_today(self, company):
        return company.with_env(self.env)._pr_today()

    @api.model
    def _pr_company_day_start(self, company, day):
        return company.with_env(self.env)._pr_day_start(day)

    def _pr_read_history(self, company, today):
        """Order occasions, credit notes and margins per points holder, in company currency.

        The day of an order is its day in the company's time zone.
        """
        holder = company._pr_holder_sql("p")
        day = pr_local_date_sql(SQL("so.date_order"), self._pr_company_tz(company))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT %(holder)s AS holder, %(day)s AS day,
                       SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS amount,
                       SUM(COALESCE(so.margin, 0) / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS margin
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale' AND so.company_id = %(company)s AND %(day)s <= %(today)s
                 GROUP BY 1, 2
                """,
                holder=holder,
                day=day,
                company=company.id,
                today=today,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return None
        holders, days, amounts, margins = (np.array(column) for column in zip(*rows, strict=True))
        days = np.array([day.toordinal() for day in days], dtype=np.int64)
        self.env.cr.execute(
            SQL(
                """
                SELECT %(holder)s AS holder, -SUM(am.amount_untaxed_signed)
                  FROM account_move am
                  JOIN res_partner p ON p.id = am.partner_id
                 WHERE am.move_type = 'out_refund' AND am.state = 'posted' AND am.company_id = %(company)s
                 GROUP BY 1
                """,
                holder=holder,
                company=company.id,
            )
        )
        refunds = self.env.cr.fetchall()
        return holders, days, amounts.astype(float), margins.astype(float), refunds

    def _pr_predict(self, company, today, ids, x, t_x, T, m):
        """BG/NBD and Gamma-Gamma fitted on the company's own customers; nothing when they cannot be.

        Both fits are recorded (``pr.clv.fit``) with their parameters, or why they failed.

        :return: ``(purchases, alive, value, fits)``: lists aligned on ``ids`` (all None when nothing is
            predicted), and the two fits
        """
        sample = np.arange(ids.size)
        if ids.size > FIT_SAMPLE:
            sample = np.sort(np.random.default_rng(company.id).choice(ids.size, FIT_SAMPLE, replace=False))
        bgnbd = _attempt(fit_bgnbd, x[sample], t_x[sample], T[sample])
        spend = _attempt(fit_gamma_gamma, x[sample], m[sample])
        purchases = alive = value = None
        if not isinstance(bgnbd, ValueError):
            try:
                alive = probability_alive(bgnbd, x, t_x, T)
                purchases = expected_purchases(bgnbd, HORIZON_MONTHS * 365.25 / 12 / 7, x, t_x, T)
            except ValueError as error:
                bgnbd = error
        if purchases is not None and not isinstance(spend, ValueError):
            try:
                value = predict_clv(bgnbd, spend, x, t_x, T, m, months=HORIZON_MONTHS)
            except ValueError as error:  # e.g. q <= 1: a new customer's expected spend is infinite
                spend = error
        repeat = int(np.count_nonzero(x[sample] > 0))
        fits = self.env["pr.clv.fit"]._pr_record(company, today, int(sample.size), repeat, bgnbd, spend)
        if value is None:
            empty = [None] * ids.size
            return empty, empty, empty, fits
        return np.round(purchases, 4).tolist(), np.round(alive, 4).tolist(), np.round(value, 2).tolist(), fits

    def _pr_write_scores(self, company, today, fit, columns):
        """Create the missing members, then write the scores with one UPDATE per batch."""
        partner_ids = columns["partner_id"]
        now = fields.Datetime.now()
        cr = self.env.cr
        bulk_insert(
            self.env,
            "pr_member",
            {"partner_id": ("int", partner_ids)},
            now,
            constants={"company_id": company.id, **dict.fromkeys(NEW_MEMBER_ZEROS, 0)},
            conflict=("partner_id", "company_id"),
        )
        for start in range(0, len(partner_ids), WRITE_BATCH):
            part = {name: values[start : start + WRITE_BATCH] for name, values in columns.items()}
            cr.execute(
                SQL(
                    """
                    UPDATE pr_member m
                       SET rfm_recency = d.r, rfm_frequency = d.f, rfm_monetary = d.mo, rfm_segment = d.segment,
                           orders_count = d.orders, last_order_date = d.last_order, revenue_to_date = d.revenue,
                           margin_to_date = d.margin, clv_purchases = d.purchases,
                           clv_probability_alive = d.alive, clv_value = d.value, scores_date = %(today)s,
                           clv_fit_id = %(fit)s
                      FROM unnest(%(partners)s::int[], %(r)s::int[], %(f)s::int[], %(mo)s::int[],
                                  %(segment)s::varchar[], %(orders)s::int[], %(last_order)s::date[],
                                  %(revenue)s::numeric[], %(margin)s::numeric[], %(purchases)s::float8[],
                                  %(alive)s::float8[], %(value)s::numeric[])
                           AS d(partner_id, r, f, mo, segment, orders, last_order, revenue, margin, purchases,
                                alive, value)
                     WHERE m.partner_id = d.partner_id AND m.company_id = %(company)s
                    """,
                    today=today,
                    fit=fit.id,
                    company=company.id,
                    partners=part["partner_id"],
                    r=part["rfm_recency"],
                    f=part["rfm_frequency"],
                    mo=part["rfm_monetary"],
                    segment=part["rfm_segment"],
                    orders=part["orders_count"],
                    last_order=part["last_order_date"],
                    revenue=part["revenue_to_date"],
                    margin=part["margin_to_date"],
                    purchases=part["clv_purchases"],
                    alive=part["clv_probability_alive"],
                    value=part["clv_value"],
                )
            )
        self._pr_clear_scores(company, partner_ids)
        self.invalidate_model()

    def _pr_clear_scores(self, company, scored_ids):
        """Members who no longer have any purchase (all orders cancelled) lose their scores."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_member
                   SET rfm_recency = NULL, rfm_frequency = NULL, rfm_monetary = NULL, rfm_segment = NULL,
                       orders_count = 0, last_order_date = NULL, revenue_to_date = 0, margin_to_date = 0,
                       clv_purchases = NULL, clv_probability_alive = NULL, clv_value = NULL, clv_fit_id = NULL
                 WHERE company_id = %s AND rfm_segment IS NOT NULL AND partner_id <> ALL(%s::int[])
                """,
                company.id,
                scored_ids,
            )
        )


def _attempt(fit, *columns):
    """The fitted parameters, or the ``ValueError`` (``FitError`` and its reason code) that stopped the fit."""
    try:
        return fit(*columns)
    except ValueError as error:
        return error


def _note(fits):
    """One line for the logs: the parameters of the two fits, or why nothing was predicted."""
    fit = fits._pr_explanation()
    if fit.state == "failed":
        return f"Lifetime value not predicted: {fit.model} {fit.failure}: {fit.error}"
    bgnbd, spend = (fits.filtered(lambda record, model=model: record.model == model) for model in MODEL_CODES)
    return (
        f"BG/NBD r={bgnbd.r:.3f} alpha={bgnbd.alpha:.3f} a={bgnbd.a:.3f} b={bgnbd.b:.3f}; "
        f"Gamma-Gamma p={spend.p:.3f} q={spend.q:.3f} v={spend.v:.3f}"
    )


def _by_id(ids, rows):
    """Amounts of ``(holder, amount)`` rows aligned on the sorted ``ids`` (0 where a holder has none)."""
    result = np.zeros(ids.size)
    if rows:
        holders, amounts = (np.array(column) for column in zip(*rows, strict=True))
        position = np.clip(np.searchsorted(ids, holders), 0, max(ids.size - 1, 0))
        found = ids[position] == holders
        np.add.at(result, position[found], amounts[found].astype(float))
    return result
