from odoo import api, models
from odoo.tools import formatLang


class PrReward(models.Model):
    """A reward's name with its cost where a salesperson picks one for a customer (the Redeem a Reward wizard)."""

    _inherit = "pr.reward"

    @api.depends("points_cost")
    @api.depends_context("pr_show_points_cost", "lang")
    def _compute_display_name(self):
        super()._compute_display_name()
        if not self.env.context.get("pr_show_points_cost"):
            return
        for reward in self:
            reward.display_name = self.env._(
                "%(reward)s (%(cost)s points)",
                reward=reward.display_name,
                cost=formatLang(self.env, reward.points_cost, digits=0),  # the reader's way of writing numbers
            )
