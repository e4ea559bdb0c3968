from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.pr_timezone import pr_company_tz_table, pr_local_month_sql


class PrLeaderboard(models.Model):
    """Points earned per customer and month, ranked within the company: only customers who opted in.

    Earned points are the ``earn`` entries of the reward ledger, net of their reversals (a return
    takes its points back from the month they were earned in, as in the tier window). Redemptions,
    expiries and manual adjustments do not count: the leaderboard is about what customers did.
    Pending points count: they were earned, they only wait for a payment or a return window.
    The month is the company's, in its time zone (UTC for a company whose address has none).
    """

    _name = "pr.leaderboard"
    _description = "Leaderboard"
    _auto = False
    _order = "month desc, rank, id"
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    month = fields.Date(readonly=True)
    points = fields.Integer(string="Points Earned", readonly=True, aggregator="sum")
    rank = fields.Integer(readonly=True, aggregator="min", help="1 for the customer who earned the most that month.")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))

    def _query(self):
        return SQL("%s %s %s %s %s", self._with(), self._select(), self._from(), self._where(), self._group_by())

    def _with(self):
        # Each reversal of an earning counts with the earning it reverses: same customer, company, month and id.
        return SQL(
            """
            WITH earned AS (
                SELECT e.id AS entry_id, e.company_id, e.partner_id, e.date, e.points
                  FROM pr_ledger_entry e
                 WHERE e.kind = 'earn'
                 UNION ALL
                SELECT t.id, t.company_id, t.partner_id, t.date, r.points
                  FROM pr_ledger_entry r
                  JOIN pr_ledger_entry t ON t.id = r.reversed_entry_id
                 WHERE r.kind = 'reversal' AND t.kind = 'earn'
            )
            """
        )

    def _select(self):
        return SQL(
            """
            SELECT MIN(earned.entry_id) AS id,
                   earned.company_id,
                   earned.partner_id,
                   %(month)s AS month,
                   SUM(earned.points) AS points,
                   RANK() OVER (PARTITION BY earned.company_id, %(month)s ORDER BY SUM(earned.points) DESC) AS rank
            """,
            month=self._month(),
        )

    def _month(self):
        return pr_local_month_sql(SQL("earned.date"), SQL("tz.tz"))

    def _from(self):
        return SQL(
            "FROM earned JOIN res_partner partner ON partner.id = earned.partner_id"
            " JOIN %s tz ON tz.company_id = earned.company_id",
            pr_company_tz_table(),
        )

    def _where(self):
        return SQL("WHERE partner.pr_leaderboard_opt_in AND partner.active")

    def _group_by(self):
        return SQL(
            """
            GROUP BY earned.company_id, earned.partner_id, %s
            HAVING SUM(earned.points) > 0
            """,
            self._month(),
        )

    @api.model
    def _top(self, company, month, limit=10):
        """The leaderboard of ``company`` for the month of the date ``month``, best first (for the portal)."""
        month = fields.Date.to_date(month).replace(day=1)
        return self.search([("company_id", "=", company.id), ("month", "=", month)], order="rank, id", limit=limit)
