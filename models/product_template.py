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


class ProductCategory(models.Model):
    _inherit = "product.category"

    pr_premium = fields.Boolean(string="Premium", help="Buying a product of this category counts as a premium upgrade.")


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    pr_early_tier_id = fields.Many2one(
        "pr.tier",
        string="Early Access Tier",
        help="Before the public date, this pricelist is for customers of this tier or above.",
    )
    pr_public_date = fields.Date(string="Public From", help="From this date, every customer may have this pricelist.")
