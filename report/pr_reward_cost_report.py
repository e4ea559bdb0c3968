from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.pr_timezone import pr_company_tz_table, pr_local_month_sql
from ..models.res_company import pr_holder_by_row_sql


class PrRewardCostReport(models.Model):
    """Reward cost against the revenue of rewarded customers, per month: rewards should not buy the revenue.

    Cost is what redemptions and surprise gifts cost the business; rewarded customers are those who
    redeemed a reward or received a gift in the month, and their revenue is their confirmed orders of
    that month, untaxed, in the company currency. Months are the company's, in its time zone (UTC for
    a company whose address has none).
    """

    _name = "pr.reward.cost.report"
    _description = "Reward Cost against Revenue"
    _auto = False
    _order = "month desc"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    redemption_cost = fields.Monetary(readonly=True, aggregator="sum")
    gift_cost = fields.Monetary(string="Surprise Gifts", readonly=True, aggregator="sum")
    reward_cost = fields.Monetary(string="Total Cost", readonly=True, aggregator="sum")
    rewarded_customers = fields.Integer(readonly=True, aggregator="sum")
    rewarded_revenue = fields.Monetary(string="Revenue of Rewarded Customers", readonly=True, aggregator="sum")
    total_revenue = fields.Monetary(string="Revenue of All Customers", readonly=True, aggregator="sum")
    cost_ratio = fields.Float(string="Cost / Rewarded Revenue (%)", readonly=True, aggregator="avg", digits=(16, 1))

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                    WITH rewards AS (
                        SELECT %(redeemed_month)s AS month, d.company_id, d.partner_id,
                               d.cost AS redemption_cost, 0.0 AS gift_cost
                          FROM pr_redemption d
                          JOIN %(tz)s tz ON tz.company_id = d.company_id
                         WHERE d.state = 'done'
                        UNION ALL
                        SELECT date_trunc('month', g.date_sent)::date, g.company_id, g.partner_id, 0.0, g.value
                          FROM pr_surprise_gift g
                         WHERE g.state = 'sent'
                    ), costs AS (
                        SELECT month, company_id, SUM(redemption_cost) AS redemption_cost,
                               SUM(gift_cost) AS gift_cost, COUNT(DISTINCT partner_id) AS customers
                          FROM rewards GROUP BY 1, 2
                    ), sales AS (
                        SELECT %(ordered_month)s AS month, so.company_id,
                               %(holder)s AS holder,
                               SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS revenue
                          FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                          JOIN res_company c ON c.id = so.company_id
                          JOIN %(tz)s tz ON tz.company_id = so.company_id
                         WHERE so.state = 'sale'
                         GROUP BY 1, 2, 3
                    ), revenue AS (
                        SELECT s.month, s.company_id, SUM(s.revenue) AS total,
                               SUM(s.revenue) FILTER (WHERE EXISTS (
                                   SELECT 1 FROM rewards r
                                    WHERE r.month = s.month AND r.company_id = s.company_id
                                      AND r.partner_id = s.holder)) AS rewarded
                          FROM sales s
                         WHERE EXISTS (SELECT 1 FROM costs c WHERE c.month = s.month AND c.company_id = s.company_id)
                         GROUP BY 1, 2
                    )
                    SELECT ROW_NUMBER() OVER (ORDER BY c.month, c.company_id) AS id, c.month, c.company_id,
                           c.redemption_cost, c.gift_cost, c.redemption_cost + c.gift_cost AS reward_cost,
                           c.customers AS rewarded_customers, COALESCE(v.rewarded, 0) AS rewarded_revenue,
                           COALESCE(v.total, 0) AS total_revenue,
                           ROUND(100.0 * (c.redemption_cost + c.gift_cost) / NULLIF(v.rewarded, 0), 1) AS cost_ratio
                      FROM costs c
                      LEFT JOIN revenue v ON v.month = c.month AND v.company_id = c.company_id
                )
                """,
                table=SQL.identifier(self._table),
                holder=pr_holder_by_row_sql(),
                tz=pr_company_tz_table(),  # months are the company's (see PrRewardCostReport)
                redeemed_month=pr_local_month_sql(SQL("d.date"), SQL("tz.tz")),
                ordered_month=pr_local_month_sql(SQL("so.date_order"), SQL("tz.tz")),
            )
        )
