from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    pr_pos_checkout = fields.Json(
        string="Paying with Points at the Till",
        compute="_compute_pr_pos_checkout",
        groups="base.group_user",
        help="Technical: the limits of paying with points, as the Point of Sale applies them.",
    )

    def _compute_pr_pos_checkout(self):
        for company in self:
            sudo = company.sudo()
            company.pr_pos_checkout = {
                "enabled": sudo.pr_checkout_enabled,
                "point_value": sudo.pr_point_value,
                "min_points": sudo.pr_checkout_min_points,
                "max_share": sudo.pr_checkout_max_share,
                "tier_ids": sudo.pr_checkout_tier_ids.ids,
                "tier_names": ", ".join(sudo.pr_checkout_tier_ids.mapped("name")),
            }

    @api.model
    def _load_pos_data_fields(self, config):
        return [*super()._load_pos_data_fields(config), "pr_pos_checkout"]
