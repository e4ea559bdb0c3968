from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    pr_premium = fields.Boolean(string="Premium", help="Buying a product of this category counts as a premium upgrade.")
