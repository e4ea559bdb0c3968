from odoo import api, fields, models
from odoo.tools import SQL

from .pr_timezone import pr_local_date_sql, pr_local_month_sql

OUTCOMES = [
    ("granted", "Granted"),
    ("skipped_condition", "Skipped: condition not met"),
    ("skipped_limit", "Skipped: limit reached"),
    ("skipped_budget", "Skipped: budget spent"),
]


class PrEventDecision(models.Model):
    """Why a customer did or did not get a reward: one line per event and matching rule."""

    _name = "pr.event.decision"
    _description = "Reward Decision"
    _order = "id"

    event_id = fields.Many2one("pr.event", required=True, readonly=True, index=True, ondelete="cascade")
    rule_id = fields.Many2one("pr.reward.rule", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, help="When the behaviour happened.")
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    points = fields.Integer(readonly=True, aggregator="sum")
    entry_id = fields.Many2one("pr.ledger.entry", string="Ledger Entry", readonly=True)
    note = fields.Char(readonly=True, translate=True, help="Why it was skipped, in every installed language.")

    _rule_partner_idx = models.Index("(rule_id, partner_id, date) WHERE outcome = 'granted'")

    @api.model
    def _pr_granted(self, rule_ids, holder_ids=None):
        """What the rules granted, on the company's days of the behaviours (as the engine counts its limits).

        :return: with ``holder_ids``, ``[(rule_id, holder_id, day, grants)]`` for these holders;
            without, ``[(rule_id, first day of the month, points)]``
        """
        if holder_ids is None:
            keys, total, where = pr_local_month_sql(SQL("d.date"), SQL("tz.tz")), SQL("SUM(d.points)"), SQL()
        else:
            keys, total = SQL("d.partner_id, %s", pr_local_date_sql(SQL("d.date"), SQL("tz.tz"))), SQL("COUNT(*)")
            where = SQL("AND d.partner_id = ANY(%s)", holder_ids)
        self.env.cr.execute(
            SQL(
                """
                SELECT d.rule_id, %(keys)s, %(total)s
                  FROM pr_event_decision d JOIN %(tz)s tz ON tz.company_id = d.company_id
                 WHERE d.rule_id = ANY(%(rules)s) AND d.outcome = 'granted' %(where)s
                 GROUP BY d.rule_id, %(keys)s
                """,
                keys=keys,
                total=total,
                tz=self.env["res.company"]._pr_tz_table(),
                rules=rule_ids,
                where=where,
            )
        )
        return self.env.cr.fetchall()
