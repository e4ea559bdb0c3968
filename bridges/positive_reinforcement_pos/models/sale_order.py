from odoo import models
from odoo.fields import Domain
from odoo.tools import SQL

from .pos_order import PAID_STATES


def _no_earlier_pos_order_sql(model, alias, query):
    """No paid Point of Sale order of the sales order's commercial entity came before it."""
    return SQL(
        """
        NOT EXISTS (
            SELECT 1 FROM pos_order earlier_pos
              JOIN res_partner earlier_pos_partner ON earlier_pos_partner.id = earlier_pos.partner_id
              JOIN res_partner pos_partner ON pos_partner.id = %(partner)s
             WHERE earlier_pos_partner.commercial_partner_id = pos_partner.commercial_partner_id
               AND earlier_pos.state IN %(paid)s AND earlier_pos.amount_total > 0
               AND earlier_pos.date_order < %(date)s)
        """,
        partner=model._field_to_sql(alias, "partner_id", query),
        date=model._field_to_sql(alias, "date_order", query),
        paid=PAID_STATES,
        # What the till's orders wrote in this transaction counts too, when a search reads them.
        to_flush=[
            *(model.env["pos.order"]._fields[name] for name in ("partner_id", "state", "amount_total", "date_order")),
            model.env["res.partner"]._fields["commercial_partner_id"],
        ],
    )


class SaleOrder(models.Model):
    """A first purchase is the commercial entity's first order across sales and the Point of Sale."""

    _inherit = "sale.order"

    def _compute_pr_is_first_order(self):
        result = super()._compute_pr_is_first_order()
        first = self.filtered("pr_is_first_order")
        if first:
            later = set(
                self.sudo().search(Domain("id", "in", first.ids) & ~Domain.custom(to_sql=_no_earlier_pos_order_sql)).ids
            )
            for order in first:
                if order.id in later:
                    order.pr_is_first_order = False
        return result

    def _search_pr_is_first_order(self, operator, value):
        first = super()._search_pr_is_first_order("in", [True])
        if first is NotImplemented or operator != "in":
            return NotImplemented
        first = Domain(first) & Domain.custom(to_sql=_no_earlier_pos_order_sql)
        wanted = {bool(item) for item in value}
        if wanted >= {True, False}:
            return Domain.TRUE
        return first if True in wanted else ~first
