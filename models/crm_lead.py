from odoo import api, fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "pr.referred.mixin"]
    _pr_friend_field = "friend_lead_id"
    _pr_friend_argument = "lead"

    # crm already has a "Referred By" text field
    pr_referred_by_id = fields.Many2one(string="Referring Customer")

    def write(self, vals):
        result = super().write(vals)
        if vals.get("partner_id"):
            self._pr_attach_friend()
        return result

    def _pr_attach_friend(self):
        """A referred lead that gets its customer: the referral now follows that customer's orders."""
        referrals = (
            self.env["pr.referral"]
            .sudo()
            .search([("friend_lead_id", "in", self.ids), ("friend_partner_id", "=", False)])
        )
        for referral in referrals:
            if not referral.search_count([("friend_partner_id", "=", referral.friend_lead_id.partner_id.id)], limit=1):
                referral.friend_partner_id = referral.friend_lead_id.partner_id

    @api.model
    def _pr_qualify_won(self):
        """Won opportunities qualify the referrals of B2B friends."""
        referrals = self.env["pr.referral"].sudo().search([("friend_lead_id", "in", self.ids)])
        return referrals._qualify()
