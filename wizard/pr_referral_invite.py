from email.utils import parseaddr

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize


class PrReferralInvite(models.TransientModel):
    """A salesperson sends a customer's referral link to a friend, in the friend's language."""

    _name = "pr.referral.invite"
    _description = "Invite a Friend"

    referrer_id = fields.Many2one("res.partner", string="On Behalf Of", required=True)
    friend_name = fields.Char(required=True)
    friend_email = fields.Char(required=True)
    lang = fields.Selection(selection="_get_languages", string="Language", default=lambda self: self.env.lang)

    @api.model
    def _get_languages(self):
        return self.env["res.lang"].get_installed()

    def action_send(self):
        """Send the invitation; from the back end only for the addon's users, from the portal through sudo."""
        if not self.env.su and not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_user"):
            raise AccessError(self.env._("Only Positive Reinforcement users can invite friends for a customer."))
        self.ensure_one()
        referrer = self.referrer_id.commercial_partner_id
        email = email_normalize(parseaddr(self.friend_email or "")[1])
        if not email:
            raise UserError(self.env._("%(email)s is not a valid email address.", email=self.friend_email))
        if not referrer.active or not referrer.pr_referral_code:
            raise UserError(self.env._("%(customer)s has no active referral code.", customer=referrer.display_name))
        if email == referrer.email_normalized:
            raise UserError(self.env._("A customer cannot refer themselves."))
        Referral = self.env["pr.referral"].sudo()
        # Exact, and among this customer's own referrals: a pattern or another customer's friends reveal nothing.
        own = [("referrer_id", "=", referrer.id), ("company_id", "=", self.env.company.id)]
        if Referral.search_count(own + [("friend_email", "=", email), ("state", "!=", "rejected")], limit=1):
            raise UserError(self.env._("%(email)s was already invited.", email=email))
        company = self.env.company
        since = company._pr_day_start(company._pr_today())  # the company's day, not UTC's
        sent = Referral.search_count(own + [("channel", "=", "invite"), ("date", ">=", since)])
        limit = self.env.company.pr_referral_invite_limit
        if limit and sent >= limit:
            raise UserError(
                self.env._(
                    "%(customer)s already sent %(count)s invitations today.", customer=referrer.display_name, count=sent
                )
            )
        referral = Referral.create(
            {
                "referrer_id": referrer.id,
                "friend_email": email,
                "channel": "invite",
                "state": "invited",
                "code": referrer.pr_referral_code,
            }
        )
        template = self.env.ref("positive_reinforcement.mail_template_pr_referral_invite")
        template.with_context(lang=self.lang, pr_friend_name=self.friend_name).send_mail(
            referral.id, email_values={"email_to": email, "recipient_ids": []}
        )
        return {"type": "ir.actions.act_window_close"}
