from odoo import Command
from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestLedgerQueue(PositiveReinforcementCase):
    """Payments and credit notes are noted where staff work, and settled by the ledger's cron moments later."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.pr_release_on = "payment"
        cls.Rule.create(
            {
                "name": "Spend",
                "behavior_id": cls.b_purchase.id,
                "points_mode": "per_currency",
                "release": "policy",
                "apply_multiplier": False,
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Queue beans", "list_price": 100.0, "type": "consu", "invoice_policy": "order"}
        )
        cls.Queue = cls.env["pr.ledger.queue"]
        cls.cron = cls.env.ref("positive_reinforcement.ir_cron_settle_documents")

    def invoice(self, quantity=2):
        order = self.sale_order(self.alice, {"product_id": self.product.id, "product_uom_qty": quantity})
        self.process()
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def pay(self, invoice):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {}
        )._create_payments()

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def test_a_payment_is_noted_once_and_its_points_released_by_the_cron(self):
        invoice = self.invoice()
        self.assertBalances(self.alice, 0, pending=200)
        before = self.triggers()
        self.pay(invoice)
        self.assertBalances(self.alice, 0, pending=200)  # nothing yet: the payment only notes the invoice
        self.env.cr.flush()  # the end of the transaction
        waiting = self.Queue.search([("move_id", "=", invoice.id)])
        self.assertEqual(waiting.kind, "release")
        self.assertEqual(self.triggers(), before + 1, "the cron is woken with the statement that notes the invoice")
        self.assertEqual(self.Queue._pr_settle_queue(), 1)
        self.assertFalse(waiting.exists())
        self.assertBalances(self.alice, 200, pending=0, lifetime=200)
        # The invoice noted again (a payment unreconciled and registered again): nothing more.
        self.Queue._pr_queue("release", invoice)
        self.settle()
        self.assertBalances(self.alice, 200, pending=0, lifetime=200)
        self.assertEqual(self.Queue._pr_settle_queue(), 0)

    def paid_before_recorded(self):
        """An order confirmed, invoiced and paid in one go, as an online payment does, before its rule has run."""
        order = self.sale_order(self.alice, {"product_id": self.product.id, "product_uom_qty": 2}, confirm=False)
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        self.pay(invoice)
        return invoice

    def test_an_order_paid_before_its_points_are_processed_gets_them_at_once(self):
        self.company.pr_pending_days = 30  # not for points released on payment: the payment came
        invoice = self.paid_before_recorded()
        self.settle()  # the ledger's cron may come first
        self.assertBalances(self.alice, 0, pending=0)  # nothing recorded yet, nothing to release
        self.assertTrue(self.Queue.search([("move_id", "=", invoice.id)]), "the invoice waits for the order's points")
        self.process()
        self.assertBalances(self.alice, 200, pending=0, lifetime=200)
        self.settle()
        self.assertFalse(self.Queue.search([("move_id", "=", invoice.id)]))
        self.assertBalances(self.alice, 200, pending=0, lifetime=200)

    def test_an_order_refunded_before_its_points_are_processed_gives_them_back(self):
        refund = self.paid_before_recorded()._reverse_moves([{"ref": "Return"}])
        refund.write({"invoice_line_ids": [Command.update(refund.invoice_line_ids.id, {"quantity": 1})]})
        refund.action_post()
        self.settle()  # before the order's events: nothing to release, nothing to take back (it waits)
        self.process()
        self.assertBalances(self.alice, 200, pending=0, lifetime=200)
        self.settle()  # the invoice and the credit note, waiting or noted again by the processing
        self.assertBalances(self.alice, 100, pending=0, lifetime=100)

    def test_a_credit_note_noted_twice_while_waiting_waits_once_and_takes_back_once(self):
        invoice = self.invoice()
        self.pay(invoice)
        self.settle()
        refund = invoice._reverse_moves([{"ref": "Return"}])
        refund.write({"invoice_line_ids": [Command.update(refund.invoice_line_ids.id, {"quantity": 1})]})
        refund.action_post()
        refund.button_draft()
        refund.action_post()
        self.env.cr.flush()
        self.assertEqual(self.Queue.search_count([("move_id", "=", refund.id), ("kind", "=", "claw_back")]), 1)
        self.settle()
        self.assertBalances(self.alice, 100, pending=0, lifetime=100)
        refund._pr_settle_claw_back()  # settled again (Replay History): never twice
        self.assertBalances(self.alice, 100, pending=0, lifetime=100)
