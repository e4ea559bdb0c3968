from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmLead(models.Model):
    _inherit = "crm.lead"

    pr_referral_id = fields.Many2one("pr.referral", string="Referral", compute="_compute_pr_referral")
    pr_referred_by_id = fields.Many2one(
        "res.partner",
        string="Referring Customer",
        compute="_compute_pr_referral",
        inverse="_inverse_pr_referred_by",
        help="The customer who referred this opportunity; setting it records the referral, once.",
    )
    pr_referred_by_code = fields.Char(
        string="Referral Code Used", compute="_compute_pr_referral", inverse="_inverse_pr_referred_by_code"
    )

    def _compute_pr_referral(self):
        referrals = self.env["pr.referral"].sudo().search([("friend_lead_id", "in", self.ids)])
        by_lead = {referral.friend_lead_id: referral for referral in referrals}
        for lead in self:
            referral = by_lead.get(lead, referrals.browse())
            lead.pr_referral_id = referral
            lead.pr_referred_by_id = referral.referrer_id
            lead.pr_referred_by_code = referral.code

    def _inverse_pr_referred_by(self):
        for lead in self:
            if lead.pr_referred_by_id and lead.pr_referred_by_id != lead.pr_referral_id.referrer_id:
                self.env["pr.referral"]._refer(lead.pr_referred_by_id, lead=lead)

    def _inverse_pr_referred_by_code(self):
        for lead in self.filtered("pr_referred_by_code"):
            referrer = self.env["pr.referral"]._find_referrer(lead.pr_referred_by_code)
            if not referrer:
                raise UserError(self.env._("This referral code is not valid."))
            if referrer != lead.pr_referral_id.referrer_id:
                self.env["pr.referral"]._refer(referrer, lead=lead)

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
