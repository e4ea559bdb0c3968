import math
from collections import defaultdict

from odoo import models

from .pr_i18n import _lt


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
        """A paid invoice makes the points earned on its orders available, moments later (``pr.ledger.queue``)."""
        self.env["pr.ledger.queue"]._pr_queue("release", self)

    def _pr_claw_back(self):
        """A credit note takes back points earned on its orders, moments later (``pr.ledger.queue``)."""
        self.env["pr.ledger.queue"]._pr_queue("claw_back", self)

    def _pr_settle_release(self):
        """A paid invoice makes the points earned on its orders available."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice" and m.payment_state in ("paid", "in_payment"))
        entries = self._pr_earned_entries(invoices._pr_sale_orders(), state="pending")
        if entries:
            self.env["pr.ledger.entry"].sudo()._release_pending(entries)

    def _pr_settle_claw_back(self):
        """A credit note takes back points earned on its orders as each rule says (*On Refund*), never twice.

        Points of a rule *In proportion* (points per currency unit of the order) are taken back in
        proportion to the share of the order refunded, counting all its posted credit notes; those of a
        rule *Only when fully refunded* (fixed bonuses: first purchase, premium upgrade, renewal) all at
        once, when its credit notes reach the order's whole untaxed amount. What credit notes already took
        back is never taken again, and never more than remains of an entry. A credit note for several
        orders is shared among them in proportion to their amounts. A constant number of queries.
        """
        refunds = self.filtered(lambda m: m.move_type == "out_refund" and m.state == "posted")
        if not refunds:
            return
        orders_of = refunds._pr_refund_orders()
        entries = self._pr_earned_entries(self.env["sale.order"].union(*orders_of.values()))
        if not entries:
            return
        shares = self._pr_refunded_shares(orders_of)
        proportional = self._pr_proportional_entries(entries)
        reversed_points, refunded_points = self._pr_reversed_points(entries)
        refund_of = {order.id: refund for refund in refunds.sorted("id") for order in orders_of[refund]}
        movements = []
        for entry in entries:
            share, full = shares[entry.source_id]
            if entry.id in proportional:
                target = min(entry.points, math.floor(entry.points * share + 1e-9))
            else:
                target = entry.points if full else 0
            points = min(entry.points + reversed_points[entry.id], target - refunded_points[entry.id])
            if points > 0:
                refund = refund_of[entry.source_id]
                movements.append(
                    {
                        "reversed_entry_id": entry.id,
                        "points": -points,
                        "reason": _lt("Credit note %(name)s", name=refund.name),
                        "source_model": "account.move",
                        "source_id": refund.id,
                        # The share taken back so far is in the key: posted again, a credit note takes nothing
                        # more, and two transactions that see the same credit notes post once.
                        "idempotency_key": f"refund:{refund.id}:{entry.id}:{target}",
                    }
                )
        if movements:
            self.env["pr.ledger.entry"].sudo()._post_movements(movements)

    def _pr_refund_orders(self):
        """``{credit note: its orders}``: those of its lines, else those of the invoice it reverses."""
        return {refund: refund._pr_sale_orders() or refund.reversed_entry_id._pr_sale_orders() for refund in self}

    def _pr_refunded_shares(self, orders_of):
        """``{order id: (share refunded, fully refunded)}`` of the orders of ``orders_of``, by all their posted
        credit notes (untaxed, in the orders' currency; a credit note shared among its orders by amount)."""
        orders = self.env["sale.order"].union(*orders_of.values())
        linked = self.sudo().search(
            [
                ("move_type", "=", "out_refund"),
                ("state", "=", "posted"),
                "|",
                ("invoice_line_ids.sale_line_ids.order_id", "in", orders.ids),
                ("reversed_entry_id.invoice_line_ids.sale_line_ids.order_id", "in", orders.ids),
            ]
        )
        refunded = dict.fromkeys(orders.ids, 0.0)
        for refund, refund_orders in {**linked._pr_refund_orders(), **orders_of}.items():
            ordered = sum(refund_orders.mapped("amount_untaxed"))
            if not ordered:
                continue
            for order in refund_orders & orders:
                refunded[order.id] += abs(refund.amount_untaxed) * order.amount_untaxed / ordered
        shares = {}
        for order in orders:
            if order.amount_untaxed <= 0:
                shares[order.id] = (0.0, False)
            elif order.currency_id.compare_amounts(refunded[order.id], order.amount_untaxed) >= 0:
                shares[order.id] = (1.0, True)  # to the cent: the whole order
            else:
                shares[order.id] = (refunded[order.id] / order.amount_untaxed, False)
        return shares

    def _pr_proportional_entries(self, entries):
        """Ids of the ``entries`` taken back in proportion: their rule's *On Refund* says so (or no rule granted
        them)."""
        full = (
            self.env["pr.event.decision"]
            .sudo()
            ._read_group([("entry_id", "in", entries.ids), ("rule_id.refund_policy", "=", "full_refund")], ["entry_id"])
        )
        return set(entries.ids) - {entry.id for (entry,) in full}

    def _pr_reversed_points(self, entries):
        """``({entry id: sum of its reversals, negative}, {entry id: points its credit notes took back, positive})``."""
        reversed_points, refunded_points = defaultdict(int), defaultdict(int)
        for entry, source_model, points in (
            self.env["pr.ledger.entry"]
            .sudo()
            ._read_group(
                [("reversed_entry_id", "in", entries.ids)], ["reversed_entry_id", "source_model"], ["points:sum"]
            )
        ):
            reversed_points[entry.id] += points
            if source_model == "account.move":
                refunded_points[entry.id] -= points
        return reversed_points, refunded_points
