from markupsafe import Markup

from odoo import api, fields, models


class PrRedeem(models.TransientModel):
    """A salesperson redeems a reward for a customer, from the customer's form.

    Like the portal, it shows every reward with its cost and, for those the customer cannot take now,
    why: the reasons are the reward's own (``pr.reward._refusal``, through ``_catalogue_for``), the same
    the redemption itself checks.
    """

    _name = "pr.redeem"
    _description = "Redeem a Reward"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    reward_id = fields.Many2one("pr.reward", required=True, domain="[('company_id', '=', company_id)]")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    available_points = fields.Integer(related="partner_id.pr_points_available")
    points_cost = fields.Integer(related="reward_id.points_cost")
    refusal = fields.Char(
        string="Cannot Be Redeemed", compute="_compute_catalogue", help="Why the customer cannot take this reward now."
    )
    catalogue = fields.Html(
        string="Rewards", compute="_compute_catalogue", help="Every reward, its cost, and whether it can be taken."
    )

    @api.depends("partner_id", "reward_id", "company_id")
    def _compute_catalogue(self):
        for wizard in self:
            if not wizard.partner_id or not wizard.company_id:
                wizard.refusal = wizard.catalogue = False
                continue
            Reward = self.env["pr.reward"].with_company(wizard.company_id)
            catalogue = Reward._catalogue_for(wizard.partner_id._origin)
            refusals = {reward.id: refusal for reward, refusal in catalogue}
            reward = wizard.reward_id._origin
            unavailable = self.env._("%(reward)s is not available now.", reward=reward.name)
            wizard.refusal = refusals.get(reward.id, unavailable) if reward else False
            wizard.catalogue = wizard._catalogue_html(catalogue)

    def _catalogue_html(self, catalogue):
        if not catalogue:
            return Markup("<p class='text-muted'>%s</p>") % self.env._("No reward in the catalogue.")
        available = self.env._("Available")
        rows = Markup("").join(
            Markup("<tr class='%s'><td>%s</td><td class='text-end'>%s</td><td>%s</td></tr>")
            % ("text-muted" if refusal else "", reward.name, reward.points_cost, refusal or available)
            for reward, refusal in catalogue
        )
        return Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th class='text-end'>%s</th><th>%s</th></tr>"
            "</thead><tbody>%s</tbody></table>"
        ) % (self.env._("Reward"), self.env._("Points"), self.env._("Can Be Redeemed?"), rows)

    def action_redeem(self):
        self.check_access("write")
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
