from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.pr_timezone import pr_company_tz_table, pr_local_month_sql
from ..models.res_company import pr_holder_by_row_sql


class PrRewardReport(models.Model):
    """Redemption rate per reward: a reward that customers who can afford it do not take is meaningless to them.

    Customers who could afford a reward are the members who have earned at least its cost over their
    lifetime; the rate is the share of them who redeemed it at least once.
    """

    _name = "pr.reward.report"
    _description = "Redemption Rate per Reward"
    _auto = False
    _order = "redemption_rate, reward_id"

    reward_id = fields.Many2one("pr.reward", readonly=True)
    kind = fields.Selection(related="reward_id.kind")
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    points_cost = fields.Integer(string="Points", readonly=True, aggregator=None)
    redemptions = fields.Integer(readonly=True, aggregator="sum")
    redeemers = fields.Integer(string="Customers Who Redeemed", readonly=True, aggregator="sum")
    eligible = fields.Integer(string="Customers Who Could", readonly=True, aggregator="sum")
    redemption_rate = fields.Float(string="Redemption Rate (%)", readonly=True, aggregator="avg", digits=(16, 1))
    cost = fields.Monetary(readonly=True, aggregator="sum")
    last_redeemed = fields.Datetime(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT w.id, w.id AS reward_id, w.company_id, w.points_cost,
                           COALESCE(r.redemptions, 0) AS redemptions, COALESCE(r.redeemers, 0) AS redeemers,
                           COALESCE(m.eligible, 0) AS eligible,
                           ROUND(100.0 * COALESCE(r.redeemers, 0) / NULLIF(m.eligible, 0), 1) AS redemption_rate,
                           COALESCE(r.cost, 0) AS cost, r.last_redeemed
                      FROM pr_reward w
                      LEFT JOIN LATERAL (
                            SELECT COUNT(*) AS redemptions, COUNT(DISTINCT d.partner_id) AS redeemers,
                                   SUM(d.cost) AS cost, MAX(d.date) AS last_redeemed
                              FROM pr_redemption d
                             WHERE d.reward_id = w.id AND d.state = 'done') r ON TRUE
                      LEFT JOIN LATERAL (
                            SELECT COUNT(*) AS eligible
                              FROM pr_member pm
                             WHERE pm.company_id = w.company_id AND pm.points_lifetime >= w.points_cost) m ON TRUE
                     WHERE w.active
                )
                """,
                SQL.identifier(self._table),
            )
        )


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


class PrPointsLiabilityReport(models.Model):
    """Points outstanding per tier, valued at what a point costs: the promise the business has made."""

    _name = "pr.points.liability.report"
    _description = "Points Liability"
    _auto = False
    _order = "company_id, liability desc"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    tier_id = fields.Many2one("pr.tier", readonly=True)
    members = fields.Integer(readonly=True, aggregator="sum")
    points_available = fields.Integer(string="Available Points", readonly=True, aggregator="sum")
    points_pending = fields.Integer(string="Pending Points", readonly=True, aggregator="sum")
    points_expiring = fields.Integer(string="Expiring within 30 Days", readonly=True, aggregator="sum")
    liability = fields.Monetary(
        readonly=True, aggregator="sum", help="Available and pending points × value of a point."
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT ROW_NUMBER() OVER (ORDER BY m.company_id, m.tier_id) AS id, m.company_id, m.tier_id,
                           COUNT(*) AS members, SUM(GREATEST(m.points_available, 0)) AS points_available,
                           SUM(m.points_pending) AS points_pending, SUM(m.points_expiring) AS points_expiring,
                           SUM(GREATEST(m.points_available, 0) + m.points_pending) * MAX(c.pr_point_value) AS liability
                      FROM pr_member m
                      JOIN res_company c ON c.id = m.company_id
                     GROUP BY m.company_id, m.tier_id
                )
                """,
                SQL.identifier(self._table),
            )
        )
