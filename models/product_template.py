from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    pr_premium = fields.Boolean(string="Premium", help="Buying it counts as upgrading to a premium product or service.")
    pr_renewal = fields.Boolean(string="Renewal", help="Buying it counts as renewing a subscription or service.")


class ProductCategory(models.Model):
    _inherit = "product.category"

    pr_premium = fields.Boolean(string="Premium", help="Buying a product of this category counts as a premium upgrade.")
