from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.pr_metric import undefined_rates_as_none


class PrReferralReport(models.Model):
    """Referral rate per month, read from the Customer Metrics: one definition, one computation.

    The referral rate of a month is the share of the customers at its end (points holders who bought in
    the 12 months up to it) who had a referral qualify in it (qualified or rewarded), in the company's
    time zone. It is the monthly, all-customers row of ``pr.metric``, so both screens always show the
    same figure, refreshed with the metrics (nightly, or with Refresh Now).
    """

    _name = "pr.referral.report"
    _description = "Referral Rate"
    _auto = False
    _order = "month desc"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    active_customers = fields.Integer(
        string="Customers",
        readonly=True,
        aggregator="sum",
        help="Customers at the end of the month: points holders who bought in the 12 months up to it.",
    )
    referrers = fields.Integer(
        string="Customers Who Referred",
        readonly=True,
        aggregator="sum",
        help="Customers at the end of the month who had a referral qualify in it.",
    )
    qualified_referrals = fields.Integer(readonly=True, aggregator="sum")
    referral_rate = fields.Float(
        string="Referral Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Customers who referred ÷ customers, as in the Customer Metrics; empty when there is no customer.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT m.id, m.date AS month, m.company_id, m.customers_end AS active_customers,
                           m.referrers, COALESCE(m.referrals, 0) AS qualified_referrals, m.referral_rate
                      FROM pr_metric m
                     WHERE m.period = 'month' AND m.dimension = 'all'
                )
                """,
                SQL.identifier(self._table),
            )
        )

    def _web_read_group_fill_temporal(self, groups, groupby, aggregates, **fill_temporal):
        """A month without customers has no rate: the graph leaves a gap rather than draw 0 (see pr.metric)."""
        groups = super()._web_read_group_fill_temporal(groups, groupby, aggregates, **fill_temporal)
        return undefined_rates_as_none(groups, groupby, aggregates)
