from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from .pr_i18n import _lt


class PrRedemption(models.Model):
    """Points turned into a reward: the ledger debit and what the customer received, kept together."""

    _name = "pr.redemption"
    _inherit = ["mail.thread"]
    _description = "Redemption"
    _order = "date desc, id desc"
    _rec_name = "reward_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    reward_id = fields.Many2one("pr.reward", required=True, readonly=True, index=True, ondelete="restrict")
    kind = fields.Selection(related="reward_id.kind")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    points = fields.Integer(readonly=True, aggregator="sum")
    cost = fields.Monetary(readonly=True, help="What this redemption cost the business, when it was made.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("done", "Redeemed"), ("cancelled", "Cancelled")], default="done", required=True, readonly=True, tracking=True
    )
    entry_id = fields.Many2one("pr.ledger.entry", string="Ledger Debit", readonly=True)
    reversal_entry_id = fields.Many2one("pr.ledger.entry", string="Ledger Reversal", readonly=True)
    coupon_id = fields.Many2one("loyalty.card", string="Coupon or eWallet", readonly=True)
    activity_id = fields.Many2one(
        "mail.activity",
        string="Fulfilment Task",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The task of the person who sends the gift or organises the experience.",
    )
    idempotency_key = fields.Char(readonly=True, copy=False)

    _key_uniq = models.UniqueIndex(
        "(company_id, idempotency_key) WHERE idempotency_key IS NOT NULL", "This redemption was already made."
    )

    def action_cancel(self):
        """Cancel unused redemptions: the points come back and what was given goes away, together.

        A coupon is emptied, eWallet credit withdrawn, and the open task to send a gift or organise an
        experience is removed, as Odoo does with the tasks of what it cancels.
        """
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager"):
            raise AccessError(self.env._("Only a Positive Reinforcement manager can cancel a redemption."))
        self.check_access("write")
        for redemption in self.filtered(lambda r: r.state == "done"):
            redemption._check_unused()
            reversal = (
                self.env["pr.ledger.entry"]
                .sudo()
                ._post_movements(
                    [
                        {
                            "reversed_entry_id": redemption.entry_id.id,
                            "points": redemption.points,
                            "reason": _lt("Redemption cancelled"),
                            "idempotency_key": f"redeem-cancel:{redemption.id}",
                        }
                    ]
                )
            )
            card = redemption.coupon_id.sudo()
            if redemption.kind == "ewallet":
                card.points -= redemption.reward_id.ewallet_amount
            elif card:
                card.points = 0
            if redemption.reward_id.limited_stock:
                redemption.reward_id.sudo().stock += 1
            redemption.write({"state": "cancelled", "reversal_entry_id": reversal.id})
            redemption.activity_id.sudo().filtered("active").unlink()
        return True

    def _pr_emit_redeemed(self):
        """Tell the automated rules on *Loyalty Events Out* of these redemptions (nothing when none listens)."""
        self.env["pr.outgoing.event"]._pr_emit(
            {
                "kind": "reward_redeemed",
                "partner_id": redemption.partner_id.id,
                "company_id": redemption.company_id.id,
                "date": redemption.date,
                "points": -redemption.points,
                "res_model": self._name,
                "res_id": redemption.id,
                "payload": {
                    "reward_id": redemption.reward_id.id,
                    "reward_name": redemption.reward_id.with_context(lang="en_US").name,
                    "reward_kind": redemption.reward_id.kind,
                    "ledger_entry_id": redemption.entry_id.id or False,
                    "coupon_id": redemption.coupon_id.id or False,
                    "coupon_code": redemption.coupon_id.sudo().code or False,
                },
            }
            for redemption in self.sudo()
        )

    def _check_unused(self):
        card = self.coupon_id.sudo()
        if self.kind == "coupon" and card.use_count:
            raise UserError(self.env._("The coupon of this redemption was used: it cannot be cancelled."))
        if self.kind == "ewallet" and card.points < self.reward_id.ewallet_amount:
            raise UserError(self.env._("The eWallet credit of this redemption was spent: it cannot be cancelled."))
