from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.onchange("product_id")
    def _onchange_pr_early_access(self):
        if not self.product_id or not self.order_id:
            return None
        issues = self.order_id._pr_early_access_issues(products=self.product_id.product_tmpl_id)
        if issues:
            return {"warning": {"title": self.env._("Early access"), "message": "\n".join(issues)}}
        return None
