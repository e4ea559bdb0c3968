from odoo import api, fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    pr_premium = fields.Boolean(string="Premium", help="Buying a product of this category counts as a premium upgrade.")

    @api.model_create_multi
    def create(self, vals_list):
        categories = super().create(vals_list)
        if any(vals.get("pr_premium") for vals in vals_list):
            # The sales orders' automated rules search for premium categories (``sale.order._pr_any_flagged``).
            self.env.registry.clear_cache()
        return categories

    def write(self, vals):
        changed = "pr_premium" in vals and any(self.mapped(lambda c: c.pr_premium != bool(vals["pr_premium"])))
        result = super().write(vals)
        if changed:
            self.env.registry.clear_cache()
        return result
