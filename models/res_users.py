from odoo import models
from odoo.http import request


class ResUsers(models.Model):
    _inherit = "res.users"

    def action_archive(self):
        """Odoo deletes the open activities of the users it archives: their loyalty tasks move on first.

        A redeemed gift, a thank-you note or a feedback follow-up goes to whoever looks after the customer
        now (see ``res.company._pr_task_users``), rather than disappearing with the salesperson.
        """
        self.check_access("write")
        self.env["res.company"]._pr_reassign_tasks(leaving=self)
        return super().action_archive()

    def _signup_create_user(self, values):
        """A visitor who came through a referral link and signs up becomes the referrer's friend."""
        user = super()._signup_create_user(values)
        code = request.session.get("pr_referral_code") if request else None
        if code:
            Referral = self.env["pr.referral"].sudo()
            referrer = Referral._find_referrer(code)
            partner = user.partner_id
            already = Referral.search_count([("friend_partner_id", "=", partner.id)], limit=1)
            if referrer and not already and referrer.commercial_partner_id != partner.commercial_partner_id:
                Referral._refer(referrer, friend=partner, channel="link", ip=request.httprequest.remote_addr)
        return user
