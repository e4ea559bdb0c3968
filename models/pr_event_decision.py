from odoo import fields, models

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
    note = fields.Char(readonly=True)

    _rule_partner_idx = models.Index("(rule_id, partner_id, date) WHERE outcome = 'granted'")
