from odoo import api, fields, models

# Flags the sales orders' automated rules search for (``sale.order._pr_any_flagged``).
FLAGS = ("pr_premium", "pr_renewal")


class ProductTemplate(models.Model):
    _inherit = "product.template"

    pr_premium = fields.Boolean(string="Premium", help="Buying it counts as upgrading to a premium product or service.")
    pr_renewal = fields.Boolean(string="Renewal", help="Buying it counts as renewing a subscription or service.")
    pr_early_tier_id = fields.Many2one(
        "pr.tier",
        string="Early Access Tier",
        help="Before the public date, only customers of this tier or above, or who received an early-access offer, "
        "should buy it: salespeople are warned.",
    )
    pr_public_date = fields.Date(string="Public From", help="From this date, every customer may buy it.")

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        if any(vals.get(flag) for vals in vals_list for flag in FLAGS):
            self.env.registry.clear_cache()
        return templates

    def write(self, vals):
        changed = any(flag in vals and any(self.mapped(lambda t, f=flag: t[f] != bool(vals[f]))) for flag in FLAGS)
        result = super().write(vals)
        if changed:
            self.env.registry.clear_cache()
        return result
