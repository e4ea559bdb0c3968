from odoo import api, fields, models
from odoo.fields import Domain


class ResPartner(models.Model):
    _inherit = "res.partner"

    pr_member_id = fields.Many2one("pr.member", string="Loyalty Membership", compute="_compute_pr_member")
    pr_tier_id = fields.Many2one(
        "pr.tier", string="Loyalty Tier", compute="_compute_pr_member", search="_search_pr_tier_id"
    )
    pr_points_available = fields.Integer(
        string="Available Points", compute="_compute_pr_member", search="_search_pr_points_available"
    )
    pr_points_pending = fields.Integer(string="Pending Points", compute="_compute_pr_member")
    pr_points_lifetime = fields.Integer(string="Lifetime Points", compute="_compute_pr_member")
    pr_points_expiring = fields.Integer(string="Points Expiring Soon", compute="_compute_pr_member")
    pr_ledger_count = fields.Integer(string="Ledger Entries", compute="_compute_pr_ledger_count")
    pr_event_count = fields.Integer(string="Behaviours", compute="_compute_pr_event_count")

    @api.model
    def _pr_balance_fields(self):
        return [
            "pr_member_id",
            "pr_tier_id",
            "pr_points_available",
            "pr_points_pending",
            "pr_points_lifetime",
            "pr_points_expiring",
            "pr_ledger_count",
        ]

    def _pr_holder(self):
        """The partner whose points these contacts see: their commercial entity unless wallets are per contact."""
        self.ensure_one()
        if self.env.company.pr_wallet_mode == "contact":
            return self
        return self.commercial_partner_id

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_member(self):
        holders = {partner: partner._pr_holder() for partner in self}
        members = (
            self.env["pr.member"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", [holder.id for holder in holders.values()]),
                    ("company_id", "=", self.env.company.id),
                ],
                [
                    "partner_id",
                    "tier_id",
                    "points_available",
                    "points_pending",
                    "points_lifetime",
                    "points_expiring",
                ],
            )
        )
        by_holder = {member.partner_id: member for member in members}
        for partner in self:
            member = by_holder.get(holders[partner], members.browse())
            partner.pr_member_id = member.id
            partner.pr_tier_id = member.tier_id.id
            partner.pr_points_available = member.points_available
            partner.pr_points_pending = member.points_pending
            partner.pr_points_lifetime = member.points_lifetime
            partner.pr_points_expiring = member.points_expiring

    @api.depends_context("company")
    def _compute_pr_ledger_count(self):
        holders = {partner: partner._pr_holder() for partner in self}
        counts = dict(
            self.env["pr.ledger.entry"]._read_group(
                [
                    ("partner_id", "in", [holder.id for holder in holders.values()]),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.pr_ledger_count = counts.get(holders[partner], 0)

    def _compute_pr_event_count(self):
        counts = dict(
            self.env["pr.event"]._read_group(
                [("partner_id", "child_of", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            family = partner.commercial_partner_id
            partner.pr_event_count = sum(count for p, count in counts.items() if p.commercial_partner_id == family)

    def action_view_pr_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_event_action")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        return action

    def _pr_search_members(self, domain):
        members = self.env["pr.member"].sudo()._search(Domain.AND([domain, [("company_id", "=", self.env.company.id)]]))
        holders = Domain("id", "in", members.subselect("partner_id"))
        if self.env.company.pr_wallet_mode == "contact":
            return holders
        return Domain("commercial_partner_id", "in", self.env["res.partner"]._search(holders))

    def _search_pr_tier_id(self, operator, value):
        return self._pr_search_members([("tier_id", operator, value)])

    def _search_pr_points_available(self, operator, value):
        return self._pr_search_members([("points_available", operator, value)])

    def action_view_pr_ledger(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_ledger_entry_action")
        action["domain"] = [("partner_id", "=", self._pr_holder().id)]
        action["context"] = {"search_default_group_by_kind": 0}
        return action
