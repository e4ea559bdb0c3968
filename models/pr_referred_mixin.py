from odoo import api, fields, models
from odoo.exceptions import UserError

REFERRER_FIELDS = ("pr_referred_by_id", "pr_referred_by_code")


class PrReferredMixin(models.AbstractModel):
    """Who referred a contact or an opportunity: set by picking the customer or typing the code.

    The referral itself is a ``pr.referral``; these fields read it, and setting them records it,
    once, with every check of ``pr.referral._refer``. Only Positive Reinforcement users may set
    them: a referral pays the referrer, so attribution is not an ordinary sales edit.
    """

    _name = "pr.referred.mixin"
    _description = "Referred Record"
    _pr_friend_field = None  # the field of pr.referral that points to this model
    _pr_friend_argument = None  # the argument of pr.referral._refer that takes such a record

    pr_referral_id = fields.Many2one("pr.referral", string="Referral", compute="_compute_pr_referral")
    pr_referred_by_id = fields.Many2one(
        "res.partner",
        string="Referred By",
        compute="_compute_pr_referral",
        inverse="_inverse_pr_referred_by",
        help="The customer who referred them; setting it records the referral, once.",
    )
    pr_referred_by_code = fields.Char(
        string="Referral Code Used",
        compute="_compute_pr_referral",
        inverse="_inverse_pr_referred_by_code",
        help="Type the code the friend was given to set who referred them.",
    )

    def _compute_pr_referral(self):
        referrals = self.env["pr.referral"].sudo().search([(self._pr_friend_field, "in", self.ids)])
        by_friend = {referral[self._pr_friend_field]: referral for referral in referrals}
        for record in self:
            referral = by_friend.get(record, referrals.browse())
            record.pr_referral_id = referral
            record.pr_referred_by_id = referral.referrer_id
            record.pr_referred_by_code = referral.code

    def _inverse_pr_referred_by(self):
        for record in self:
            if record.pr_referred_by_id and record.pr_referred_by_id != record.pr_referral_id.referrer_id:
                self.env["pr.referral"]._refer(record.pr_referred_by_id, **{self._pr_friend_argument: record})

    def _inverse_pr_referred_by_code(self):
        for record in self.filtered("pr_referred_by_code"):
            referrer = self.env["pr.referral"]._find_referrer(record.pr_referred_by_code)
            if not referrer:
                raise UserError(self.env._("This referral code is not valid."))
            if referrer != record.pr_referral_id.referrer_id:
                self.env["pr.referral"]._refer(referrer, **{self._pr_friend_argument: record})

    @api.model
    def _pr_check_attribution(self, vals_list):
        """Refuse, before anything is written, a referrer set by an internal user outside the addon's groups.

        The ``create`` and ``write`` of the models using this mixin call it first.
        """
        if any(vals.get(fname) for vals in vals_list for fname in REFERRER_FIELDS):
            self.env["pr.referral"]._check_can_attribute()
