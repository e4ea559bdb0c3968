from odoo import fields, models, tools
from odoo.tools import SQL


class PrReferralReport(models.Model):
    """Referral rate per month: the share of active customers with at least one qualified referral.

    Active customers are the commercial entities with a confirmed order in the month; a referral
    counts in the month it qualified (qualified or rewarded).
    """

    _name = "pr.referral.report"
    _description = "Referral Rate"
    _auto = False
    _order = "month desc"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    active_customers = fields.Integer(readonly=True, aggregator="sum")
    referrers = fields.Integer(string="Customers Who Referred", readonly=True, aggregator="sum")
    qualified_referrals = fields.Integer(readonly=True, aggregator="sum")
    referral_rate = fields.Float(string="Referral Rate (%)", readonly=True, aggregator="avg", digits=(16, 1))

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH active AS (
                        SELECT date_trunc('month', so.date_order)::date AS month, so.company_id,
                               COUNT(DISTINCT p.commercial_partner_id) AS customers
                          FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                         WHERE so.state = 'sale'
                         GROUP BY 1, 2
                    ), referred AS (
                        SELECT date_trunc('month', r.qualified_date)::date AS month, r.company_id,
                               COUNT(DISTINCT r.referrer_id) AS referrers, COUNT(*) AS referrals
                          FROM pr_referral r
                         WHERE r.state IN ('qualified', 'rewarded') AND r.qualified_date IS NOT NULL
                         GROUP BY 1, 2
                    )
                    SELECT ROW_NUMBER() OVER (ORDER BY a.month, a.company_id) AS id,
                           a.month, a.company_id, a.customers AS active_customers,
                           COALESCE(f.referrers, 0) AS referrers, COALESCE(f.referrals, 0) AS qualified_referrals,
                           ROUND(100.0 * COALESCE(f.referrers, 0) / NULLIF(a.customers, 0), 1) AS referral_rate
                      FROM active a
                      LEFT JOIN referred f ON f.month = a.month AND f.company_id = a.company_id
                )
                """,
                SQL.identifier(self._table),
            )
        )
