from odoo import api, fields, models
from odoo.tools import SQL


class SaleOrder(models.Model):
    _inherit = "sale.order"

    pr_is_first_order = fields.Boolean(
        string="First Purchase",
        compute="_compute_pr_is_first_order",
        help="The first confirmed order of the customer's commercial entity.",
    )
    pr_has_premium = fields.Boolean(string="Premium Purchase", compute="_compute_pr_flags")
    pr_has_renewal = fields.Boolean(string="Renewal", compute="_compute_pr_flags")

    @api.depends("state", "partner_id.commercial_partner_id", "date_order")
    def _compute_pr_is_first_order(self):
        commercial_ids = self.partner_id.commercial_partner_id.ids
        first = {}
        if commercial_ids:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT DISTINCT ON (p.commercial_partner_id) p.commercial_partner_id, so.id
                      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND p.commercial_partner_id = ANY(%s)
                     ORDER BY p.commercial_partner_id, so.date_order, so.id
                    """,
                    commercial_ids,
                )
            )
            first = dict(self.env.cr.fetchall())
        for order in self:
            order.pr_is_first_order = first.get(order.partner_id.commercial_partner_id.id) == order.id

    @api.depends("order_line.product_id")
    def _compute_pr_flags(self):
        for order in self:
            products = order.order_line.product_id.product_tmpl_id
            order.pr_has_premium = any(products.mapped("pr_premium")) or any(products.categ_id.mapped("pr_premium"))
            order.pr_has_renewal = any(products.mapped("pr_renewal"))
