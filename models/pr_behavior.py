from odoo import api, fields, models


class PrBehavior(models.Model):
    """A customer behaviour the business wants to see more of, and rewards."""

    _name = "pr.behavior"
    _description = "Customer Behaviour"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable identifier used by automated rules, imports and the API.")
    description = fields.Text(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    rule_ids = fields.One2many("pr.reward.rule", "behavior_id", string="Reward Rules")
    event_count = fields.Integer(string="Events", compute="_compute_event_count")

    _code_uniq = models.Constraint("UNIQUE(code)", "Another behaviour already has this code.")

    def _compute_event_count(self):
        counts = dict(self.env["pr.event"]._read_group([("behavior_id", "in", self.ids)], ["behavior_id"], ["__count"]))
        for behavior in self:
            behavior.event_count = counts.get(behavior, 0)

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_event_action")
        action["domain"] = [("behavior_id", "=", self.id)]
        return action

    @api.model
    def _by_code(self, codes):
        """``{code: behaviour}`` for the active behaviours among ``codes``."""
        return {behavior.code: behavior for behavior in self.search([("code", "in", list(codes))])}
