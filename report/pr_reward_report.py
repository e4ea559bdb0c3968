from odoo import fields, models, tools
from odoo.tools import SQL


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
