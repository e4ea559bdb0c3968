from odoo import fields, models


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    pr_early_tier_id = fields.Many2one(
        "pr.tier",
        string="Early Access Tier",
        help="Before the public date, this pricelist is for customers of this tier or above.",
    )
    pr_public_date = fields.Date(string="Public From", help="From this date, every customer may have this pricelist.")
