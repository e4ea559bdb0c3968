import math

from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _pr_sale_orders(self):
        return self.invoice_line_ids.sale_line_ids.order_id

    def _pr_earned_entries(self, orders, state=None):
        domain = [("source_model", "=", "sale.order"), ("source_id", "in", orders.ids), ("kind", "=", "earn")]
        if state:
            domain.append(("state", "=", state))
        return self.env["pr.ledger.entry"].sudo().search(domain)

    def _pr_release_order_points(self):
        """A paid invoice makes the points earned on its orders available."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice" and m.payment_state in ("paid", "in_payment"))
        entries = self._pr_earned_entries(invoices._pr_sale_orders(), state="pending")
        if entries:
            self.env["pr.ledger.entry"].sudo()._release_pending(entries)

    def _pr_claw_back(self):
        """A credit note takes back the points earned on its orders, in proportion, never twice.

        The proportion is the credit note's untaxed amount over the orders' untaxed amount, at most
        all of it; what was already reversed is never reversed again.
        """
        movements = []
        for refund in self.filtered(lambda m: m.move_type == "out_refund" and m.state == "posted"):
            orders = refund._pr_sale_orders() or refund.reversed_entry_id._pr_sale_orders()
            ordered = sum(orders.mapped("amount_untaxed"))
            if not orders or not ordered:
                continue
            share = min(1.0, abs(refund.amount_untaxed) / ordered)
            for entry in self._pr_earned_entries(orders):
                points = min(entry.reversible_points, math.floor(entry.points * share + 1e-9))
                if points > 0:
                    movements.append(
                        {
                            "reversed_entry_id": entry.id,
                            "points": -points,
                            "reason": self.env._("Credit note %(name)s", name=refund.name),
                            "source_model": "account.move",
                            "source_id": refund.id,
                            "idempotency_key": f"refund:{refund.id}:{entry.id}",
                        }
                    )
        if movements:
            self.env["pr.ledger.entry"].sudo()._post_movements(movements)
