from collections import defaultdict

from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    pr_leaderboard_opt_in = fields.Boolean(
        string="On the Leaderboard",
        help="Customers join the leaderboard only if they opt in. It is set on the customer who holds the points: "
        "the company for its contacts, unless each contact has its own wallet.",
    )
    pr_is_points_holder = fields.Boolean(compute="_compute_pr_is_points_holder")
    pr_badge_grant_ids = fields.Many2many(
        "pr.badge.grant", string="Loyalty Badges", compute="_compute_pr_badge_grant_ids"
    )
    pr_badge_count = fields.Integer(string="Badges Earned", compute="_compute_pr_badge_grant_ids")

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_is_points_holder(self):
        for partner in self:
            partner.pr_is_points_holder = partner._pr_holder() == partner

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_badge_grant_ids(self):
        holders = {partner: partner._pr_holder() for partner in self}
        grants = self.env["pr.badge.grant"].search(
            [
                ("partner_id", "in", [holder.id for holder in holders.values()]),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_holder = defaultdict(lambda: grants.browse())
        for grant in grants:
            by_holder[grant.partner_id] |= grant
        for partner in self:
            partner.pr_badge_grant_ids = by_holder[holders[partner]]
            partner.pr_badge_count = len(partner.pr_badge_grant_ids)

    def action_view_pr_badges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_badge_grant_action")
        action["domain"] = [("partner_id", "=", self._pr_holder().id)]
        return action
