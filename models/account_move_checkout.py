from odoo import models

from .pr_i18n import _lt


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _pr_settle_claw_back(self):
        result = super()._pr_settle_claw_back()
        self._pr_give_back_spent_points()
        return result

    def _pr_give_back_spent_points(self):
        """A credit note gives back the points its orders were paid with, in proportion, never twice.

        The proportion is the one the earned points are taken back with: the credit note's untaxed amount
        over the orders' untaxed amount, at most all of it.
        """
        used = self.env["res.company"]._pr_checkout_company_ids(ever=True)
        for refund in self.filtered(
            lambda m: m.move_type == "out_refund" and m.state == "posted" and m.company_id.id in used
        ):
            orders = refund._pr_sale_orders() or refund.reversed_entry_id._pr_sale_orders()
            ordered = sum(orders.mapped("amount_untaxed"))
            if not orders or not ordered or not any(orders.mapped("pr_points_spent")):
                continue
            orders._pr_give_back_spent_points(
                reason=_lt("Credit note %(name)s", name=refund.name),
                share=min(1.0, abs(refund.amount_untaxed) / ordered),
                key_suffix=f"refund:{refund.id}",
            )
