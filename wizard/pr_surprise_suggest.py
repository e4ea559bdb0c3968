from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.pr_i18n import reader_lang


class PrSurpriseSuggest(models.TransientModel):
    """Proposes surprise gifts for the customers who deserve one most, within what is left of the budget."""

    _name = "pr.surprise.suggest"
    _description = "Suggest Surprise Gifts"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    engagement_days = fields.Integer(string="Engaged Over (days)", default=90, required=True)
    min_events = fields.Integer(string="At Least (behaviours)", default=3, required=True)
    quiet_days = fields.Integer(
        string="No Reward For (days)",
        default=60,
        required=True,
        help="No redemption and no surprise gift in this many days.",
    )
    gift_name = fields.Char(string="Gift", required=True, default=lambda self: self.env._("Surprise gift"))
    value = fields.Monetary(string="Value per Gift", required=True)
    message = fields.Text(
        default=lambda self: self.env._("Thank you for being such a wonderful customer. This is just for you.")
    )
    budget_left = fields.Monetary(string="Budget Left This Month", compute="_compute_budget_left")
    max_gifts = fields.Integer(string="At Most", default=10, required=True)

    @api.depends("company_id")
    def _compute_budget_left(self):
        for wizard in self:
            wizard.budget_left = wizard.company_id._pr_surprise_budget_left()

    def action_suggest(self):
        """Create proposals for the best candidates; a manager approves them from the list."""
        self.check_access("write")
        self.ensure_one()
        if min(self.engagement_days, self.min_events, self.max_gifts) <= 0 or self.quiet_days < 0 or self.value < 0:
            raise UserError(self.env._("Days, behaviours and number of gifts must be positive."))
        limit = self.max_gifts
        if self.company_id.pr_surprise_budget and self.value:
            limit = min(limit, int(self.budget_left // self.value))
            if not limit:
                raise UserError(self.env._("This month's surprise-gift budget is spent: no gift can be proposed."))
        candidates = self.env["pr.surprise.gift"]._deserving_customers(
            self.company_id, self.engagement_days, self.min_events, self.quiet_days, limit
        )
        if not candidates:
            raise UserError(self.env._("No customer matches: nobody was engaged lately without a reward."))
        partners = self.env["res.partner"].browse([holder for holder, _count in candidates])
        users = self.company_id._pr_task_users(partners)
        gifts = self.env["pr.surprise.gift"].create(
            [
                {
                    "name": self.gift_name,
                    "partner_id": partner.id,
                    "company_id": self.company_id.id,
                    "user_id": users[partner].id,
                    "value": self.value,
                    "message": self.message,
                    "origin": "suggestion",
                    "reason": self.with_context(lang=reader_lang(self.env, users[partner], self.company_id)).env._(
                        "%(count)s behaviours in %(days)s days, no reward in %(quiet)s days.",
                        count=count,
                        days=self.engagement_days,
                        quiet=self.quiet_days,
                    ),
                }
                for partner, (_holder, count) in zip(partners, candidates, strict=True)
            ]
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Suggested Surprise Gifts"),
            "res_model": "pr.surprise.gift",
            "view_mode": "list,form",
            "domain": [("id", "in", gifts.ids)],
        }
