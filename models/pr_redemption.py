from odoo import fields, models
from odoo.exceptions import UserError


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
    idempotency_key = fields.Char(readonly=True, copy=False)

    _key_uniq = models.UniqueIndex(
        "(company_id, idempotency_key) WHERE idempotency_key IS NOT NULL", "This redemption was already made."
    )

    def action_cancel(self):
        """Cancel unused redemptions: the points come back and the coupon or credit goes away, together."""
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
                            "reason": self.env._("Redemption cancelled"),
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
        return True

    def _check_unused(self):
        card = self.coupon_id.sudo()
        if self.kind == "coupon" and card.use_count:
            raise UserError(self.env._("The coupon of this redemption was used: it cannot be cancelled."))
        if self.kind == "ewallet" and card.points < self.reward_id.ewallet_amount:
            raise UserError(self.env._("The eWallet credit of this redemption was spent: it cannot be cancelled."))
