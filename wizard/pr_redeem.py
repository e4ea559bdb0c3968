from odoo import fields, models


class PrRedeem(models.TransientModel):
    """A salesperson redeems a reward for a customer, from the customer's form."""

    _name = "pr.redeem"
    _description = "Redeem a Reward"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    reward_id = fields.Many2one("pr.reward", required=True, domain="[('company_id', '=', company_id)]")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    available_points = fields.Integer(related="partner_id.pr_points_available")
    points_cost = fields.Integer(related="reward_id.points_cost")

    def action_redeem(self):
        self.ensure_one()
        # The wizard's id makes a double click redeem once.
        redemption = self.reward_id._redeem(self.partner_id, key=f"wizard:{self.id}")
        return {
            "type": "ir.actions.act_window",
            "res_model": "pr.redemption",
            "res_id": redemption.id,
            "view_mode": "form",
            "target": "current",
        }
