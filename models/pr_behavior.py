from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.sql import column_exists

# Behaviours the addon records itself from Odoo documents (orders, referrals): never from outside.
DOCUMENT_BEHAVIORS = ("first_purchase", "purchase", "referral", "referral_welcome", "renewal", "premium_upgrade")


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
    accepted_from_outside = fields.Boolean(
        string="Accepted from Outside",
        help="Behaviours that happen outside Odoo (social media, reviews, feedback) may be recorded by hand, "
        "imported, or sent through the API by an integration user. Leave it off for the behaviours Odoo "
        "detects from its own documents (purchases, referrals, renewals, upgrades): their points would be "
        "paid twice, or without the document.",
    )
    rule_ids = fields.One2many("pr.reward.rule", "behavior_id", string="Reward Rules")
    event_count = fields.Integer(string="Events", compute="_compute_event_count")

    _code_uniq = models.Constraint("UNIQUE(code)", "Another behaviour already has this code.")

    def _auto_init(self):
        """When the switch is added to a database, the behaviours Odoo does not detect stay accepted as before."""
        added = not column_exists(self.env.cr, self._table, "accepted_from_outside")
        result = super()._auto_init()
        if added:
            self.env.cr.execute(
                SQL("UPDATE pr_behavior SET accepted_from_outside = code NOT IN %s", DOCUMENT_BEHAVIORS)
            )
        return result

    def write(self, vals):
        result = super().write(vals)
        if "code" in vals or "active" in vals:
            # The automated rules' cached setup (base.automation) holds the codes of the behaviours they
            # record; _active_by_xmlid holds the active ones.
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _active_by_xmlid
        return result

    def _compute_event_count(self):
        counts = dict(self.env["pr.event"]._read_group([("behavior_id", "in", self.ids)], ["behavior_id"], ["__count"]))
        for behavior in self:
            behavior.event_count = counts.get(behavior, 0)

    def action_view_events(self):
        """The behaviour's events, for those who may read events (not an integration user)."""
        self.env["pr.event"].check_access("read")
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_event_action")
        action["domain"] = [("behavior_id", "=", self.id)]
        return action

    @api.model
    @tools.ormcache("xmlid")
    def _active_by_xmlid(self, xmlid):
        """``(id, code)`` of the behaviour ``xmlid`` when it is active, else None.

        Asked on other apps' hot paths (a newsletter subscription); cached until a behaviour changes.
        """
        behavior = self.env.ref(xmlid, raise_if_not_found=False)
        if behavior is None or behavior._name != self._name or not behavior.sudo().active:
            return None
        return behavior.id, behavior.sudo().code

    @api.model
    def _by_code(self, codes):
        """``{code: behaviour}`` for the active behaviours among ``codes``."""
        return {behavior.code: behavior for behavior in self.search([("code", "in", list(codes))])}
