from odoo import fields, models, tools
from odoo.tools import SQL


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
