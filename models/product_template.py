from odoo import fields, models


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
