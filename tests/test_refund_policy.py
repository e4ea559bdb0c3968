from odoo import Command
from odoo.tests import Form, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestRefundPolicy(PositiveReinforcementCase):
    """Daily use: a credit note takes back purchase points in proportion, and fixed bonuses only with the whole order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Coffee beans", "list_price": 100.0, "type": "consu", "invoice_policy": "order"}
        )
        cls.spend = cls.Rule.create(
            {
                "name": "Spend",
                "behavior_id": cls.b_purchase.id,
                "points_mode": "per_currency",
                "apply_multiplier": False,
            }
        )
        cls.welcome = cls.Rule.create(
            {"name": "Welcome", "behavior_id": cls.b_first.id, "points": 50, "apply_multiplier": False}
        )

    def invoiced_order(self, partner, quantity=2):
        order = self.sale_order(partner, *[{"product_id": self.product.id, "product_uom_qty": 1}] * quantity)
        self.process()
        invoice = order._create_invoices()
        invoice.action_post()
        return order, invoice

    def credit_note(self, invoice, lines=1):
        """A credit note for ``lines`` of the invoice's lines (each worth 100), posted."""
        refund = invoice._reverse_moves([{"ref": "Return"}])
        extra = refund.invoice_line_ids[lines:]
        if extra:
            refund.write({"invoice_line_ids": [Command.delete(line.id) for line in extra]})
        refund.action_post()
        self.settle()
        return refund

    def taken_back(self, rule, partner):
        """Points of ``rule`` granted to ``partner`` and what credit notes took back of them."""
        entry = (
            self.env["pr.event.decision"]
            .search([("rule_id", "=", rule.id), ("partner_id", "=", partner.id), ("outcome", "=", "granted")])
            .entry_id
        )
        self.assertEqual(len(entry), 1)
        reversals = self.Ledger.search([("reversed_entry_id", "=", entry.id)])
        return entry.points, -sum(reversals.mapped("points"))

    def test_the_rule_says_what_a_refund_takes_back(self):
        self.assertEqual(self.spend.refund_policy, "proportional")
        self.assertEqual(self.welcome.refund_policy, "full_refund")
        form = Form(self.Rule)
        form.name = "Renewal bonus"
        form.behavior_id = self.b_renewal
        self.assertEqual(form.refund_policy, "full_refund")
        form.points_mode = "per_currency"
        self.assertEqual(form.refund_policy, "proportional")
        form.refund_policy = "full_refund"  # editable
        self.assertEqual(form.save().refund_policy, "full_refund")
        view = self.env.ref("positive_reinforcement.pr_reward_rule_view_form")
        self.assertIn('name="refund_policy"', view.arch_db)

    def test_half_a_refund_takes_half_the_purchase_points_and_none_of_the_bonus(self):
        _order, invoice = self.invoiced_order(self.alice)
        self.assertBalances(self.alice, 250)
        self.credit_note(invoice, lines=1)
        self.assertEqual(self.taken_back(self.spend, self.alice), (200, 100))
        self.assertEqual(self.taken_back(self.welcome, self.alice), (50, 0))
        self.assertBalances(self.alice, 150)

    def test_the_credit_note_that_completes_the_refund_takes_the_bonus_once(self):
        _order, invoice = self.invoiced_order(self.alice)
        first = self.credit_note(invoice, lines=1)
        second = self.credit_note(invoice, lines=1)
        self.assertEqual(self.taken_back(self.spend, self.alice), (200, 200))
        self.assertEqual(self.taken_back(self.welcome, self.alice), (50, 50))
        self.assertBalances(self.alice, 0)
        bonus_back = self.Ledger.search([("source_model", "=", "account.move"), ("points", "=", -50)])
        self.assertEqual(bonus_back.source_id, second.id, "taken back by the credit note that completes the refund")
        # Posted again, or processed again (Replay History): never twice.
        second.button_draft()
        second.action_post()
        self.settle()
        (first | second)._pr_settle_claw_back()
        self.assertEqual(self.taken_back(self.spend, self.alice), (200, 200))
        self.assertEqual(self.taken_back(self.welcome, self.alice), (50, 50))
        self.assertBalances(self.alice, 0)

    def test_never_more_than_was_earned(self):
        _order, invoice = self.invoiced_order(self.alice)
        self.credit_note(invoice, lines=2)  # the whole order
        self.credit_note(invoice, lines=2)  # and once more, by mistake
        self.assertEqual(self.taken_back(self.spend, self.alice), (200, 200))
        self.assertEqual(self.taken_back(self.welcome, self.alice), (50, 50))
        self.assertBalances(self.alice, 0)

    def test_a_full_refund_in_one_credit_note_takes_everything(self):
        _order, invoice = self.invoiced_order(self.bob, quantity=3)
        self.assertBalances(self.bob, 350)
        self.credit_note(invoice, lines=3)
        self.assertBalances(self.bob, 0)

    def test_shares_add_up_without_losing_a_point_to_rounding(self):
        self.spend.rate = 0.075  # 15 points for 200
        _order, invoice = self.invoiced_order(self.alice)
        self.credit_note(invoice, lines=1)
        self.assertEqual(self.taken_back(self.spend, self.alice), (15, 7))  # half of 15, rounded down
        self.credit_note(invoice, lines=1)
        self.assertEqual(self.taken_back(self.spend, self.alice), (15, 15))  # the other 8: all of it

    def test_the_choice_on_the_rule_is_followed(self):
        self.spend.refund_policy = "full_refund"
        self.welcome.refund_policy = "proportional"
        _order, invoice = self.invoiced_order(self.alice)
        self.credit_note(invoice, lines=1)
        self.assertEqual(self.taken_back(self.spend, self.alice), (200, 0))
        self.assertEqual(self.taken_back(self.welcome, self.alice), (50, 25))
