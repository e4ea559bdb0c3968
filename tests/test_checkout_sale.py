from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import PositiveReinforcementCase


class CheckoutCase(PositiveReinforcementCase):
    """A company whose customers pay with points: 1 point is worth 0.01, at least 100 points, at most half an order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "pr_point_value": 0.01,
                "pr_checkout_min_points": 100,
                "pr_checkout_max_share": 50.0,
                "pr_checkout_tier_ids": [(5, 0, 0)],
                "pr_checkout_enabled": True,
            }
        )
        cls.program = cls.company.pr_checkout_program_id
        cls.tax = cls.env["account.tax"].create(
            {"name": "PR Checkout 15%", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale"}
        )
        cls.desk = cls.env["product.product"].create(
            {"name": "Checkout Desk", "list_price": 100.0, "taxes_id": [(6, 0, cls.tax.ids)]}
        )
        cls.pen = cls.env["product.product"].create({"name": "Checkout Pen", "list_price": 100.0, "taxes_id": False})
        cls.salesman = cls.env["res.users"].create(
            {
                "name": "Checkout Salesman",
                "login": "pr_checkout_salesman",
                "group_ids": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman_all_leads").id])],
            }
        )

    def order(self, partner, product, qty=1.0, price=None):
        line = {"product_id": product.id, "product_uom_qty": qty}
        if price is not None:
            line["price_unit"] = price
        return self.env["sale.order"].create({"partner_id": partner.id, "order_line": [(0, 0, line)]})

    def card(self, partner):
        return self.env["loyalty.card"].search(
            [("program_id", "=", self.program.id), ("partner_id", "=", partner.commercial_partner_id.id)]
        )

    def spends(self, order):
        return self.Ledger.search([("source_model", "=", "sale.order"), ("source_id", "=", order.id)], order="id")


@tagged("post_install", "-at_install")
class TestCheckoutSale(CheckoutCase):
    def test_program_mirrors_the_ledger(self):
        self.assertTrue(self.program.active and self.program.pr_is_mirror)
        self.assertEqual(self.program.program_type, "loyalty")
        self.assertFalse(self.program.rule_ids, "the program gives no points of its own: the ledger does")
        self.assertEqual(self.program.reward_ids.discount, 0.01)
        self.post(self.alice, 700)
        self.assertEqual(self.card(self.alice).points, 700)
        self.post(self.alice, -200, kind="redeem")
        self.assertEqual(self.card(self.alice).points, 500)
        # A new value of a point is the reward's at once.
        self.company.pr_point_value = 0.02
        self.assertEqual(self.program.reward_ids.discount, 0.02)

    def test_order_paid_partly_with_points(self):
        self.post(self.alice, 2000)
        order = self.order(self.alice, self.desk)
        self.assertEqual(order.amount_total, 115.0)
        order.with_user(self.salesman).action_pr_pay_with_points()
        line = order._pr_points_lines()
        self.assertEqual(len(line), 1)
        self.assertEqual(line.points_cost, 2000)
        self.assertEqual(line.tax_ids, self.tax, "the discount carries the taxes of what it pays, as any Odoo reward")
        self.assertEqual(order.pr_points_spent, 2000)
        self.assertAlmostEqual(order.amount_total, 95.0, places=2)
        self.assertEqual(self.card(self.alice).points, 2000, "nothing is spent before the order is confirmed")

        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        [spend] = self.spends(order)
        self.assertEqual((spend.kind, spend.points, spend.state), ("redeem", -2000, "available"))
        self.assertEqual(spend.idempotency_key, f"sale.order:{order.id}:spend:0")
        self.assertBalances(self.alice, 0)
        self.assertEqual(self.card(self.alice).points, 0)
        history = self.env["loyalty.history"].search([("order_model", "=", "sale.order"), ("order_id", "=", order.id)])
        self.assertEqual(history.used, 2000, "the customer's card history shows the points the order used")

    def test_share_of_the_order_caps_the_points(self):
        self.post(self.alice, 8000)
        order = self.order(self.alice, self.pen)
        order.action_pr_pay_with_points()
        self.assertEqual(order.pr_points_spent, 5000, "half of 100.00 at 0.01 a point")
        self.assertAlmostEqual(order.amount_total, 50.0, places=2)
        order.action_confirm()
        self.assertBalances(self.alice, 3000)
        self.assertEqual(self.card(self.alice).points, 3000)

    def test_limits_are_refused_with_a_clear_message(self):
        self.post(self.alice, 50)
        order = self.order(self.alice, self.pen)
        with self.assertRaisesRegex(UserError, "needs at least 100 available points; Alice Tester has 50"):
            order.action_pr_pay_with_points()
        self.post(self.alice, 950)
        small = self.order(self.alice, self.pen, price=1.0)
        with self.assertRaisesRegex(UserError, "at most 50% of this order, less than the minimum of 100 points"):
            small.action_pr_pay_with_points()
        self.company.pr_checkout_tier_ids = self.gold
        with self.assertRaisesRegex(UserError, "Paying with points is for Test Gold customers"):
            order.action_pr_pay_with_points()
        # The limits hide the reward from Odoo's own reward list, too.
        card = self.card(self.alice)
        order._update_programs_and_rewards()
        self.assertNotIn(card, order._get_claimable_rewards())
        self.assertEqual(
            order._apply_program_reward(self.program.reward_ids, card)["error"][:30], "Paying with points is for Test"
        )
        self.assertFalse(order._pr_points_lines())
        self.company.pr_checkout_tier_ids = False
        self.assertIn(card, order._get_claimable_rewards())

    def test_pending_points_cannot_be_spent(self):
        self.post(self.alice, 5000, pending=True)
        self.assertBalances(self.alice, 0, pending=5000)
        order = self.order(self.alice, self.pen)
        with self.assertRaisesRegex(UserError, "needs at least 100 available points; Alice Tester has 0"):
            order.action_pr_pay_with_points()
        self.assertEqual(self.card(self.alice).points, 0)

    def test_cancelling_gives_the_points_back_once(self):
        self.post(self.alice, 2000)
        order = self.order(self.alice, self.pen)
        order.action_pr_pay_with_points()
        order.action_confirm()
        self.assertBalances(self.alice, 0)
        order._action_cancel()
        order._action_cancel()
        spend, back = self.spends(order)
        self.assertEqual((back.kind, back.points, back.reversed_entry_id), ("reversal", 2000, spend))
        self.assertBalances(self.alice, 2000)
        self.assertEqual(self.card(self.alice).points, 2000)
        # Confirmed again, the order spends again; cancelled again, it gives back again, once.
        order.action_draft()
        order.action_pr_pay_with_points()
        order.action_confirm()
        self.assertBalances(self.alice, 0)
        order._action_cancel()
        entries = self.spends(order)
        self.assertEqual(entries.mapped("points"), [-2000, 2000, -2000, 2000])
        self.assertEqual(entries[2].idempotency_key, f"sale.order:{order.id}:spend:1")
        self.assertBalances(self.alice, 2000)

    def test_points_spent_twice_are_refused_at_confirmation(self):
        self.post(self.alice, 2000)
        first, second = self.order(self.alice, self.pen), self.order(self.alice, self.pen)
        first.action_pr_pay_with_points()
        second.action_pr_pay_with_points()
        first.action_confirm()
        with self.assertRaisesRegex(UserError, "no longer available"):
            second.action_confirm()
        self.assertEqual(second.state, "draft")
        self.assertBalances(self.alice, 0)
        # The ledger refuses too, whatever the card says.
        self.env.cr.execute("UPDATE loyalty_card SET points = 2000 WHERE id = %s", [self.card(self.alice).id])
        self.card(self.alice).invalidate_recordset()
        with self.assertRaisesRegex(UserError, "no longer available"):
            second.action_confirm()
        self.assertBalances(self.alice, 0)

    def test_credit_note_gives_the_points_back_in_proportion_once(self):
        self.post(self.alice, 2000)
        order = self.order(self.alice, self.pen, qty=2)
        order.action_pr_pay_with_points()
        order.action_confirm()
        self.process()  # the order's rule and events, moments later: the ledger's cron settles its credit notes after them
        self.assertBalances(self.alice, 0)
        invoice = order._create_invoices()
        invoice.action_post()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "half back"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 1
        credit_note.action_post()
        self.settle()
        # 200.00 less 20.00 of points is 180.00; the credit note of 100.00 less 20.00 gives back 80/180 of them.
        self.assertBalances(self.alice, 888)
        credit_note._pr_settle_claw_back()
        self.assertBalances(self.alice, 888)

    def test_commercial_entity_holds_the_points(self):
        acme = self.env["res.partner"].create({"name": "Checkout Acme", "is_company": True})
        buyer = self.env["res.partner"].create({"name": "Checkout Buyer", "parent_id": acme.id})
        self.post(acme, 1000)
        order = self.order(buyer, self.pen)
        order.action_pr_pay_with_points()
        self.assertEqual(order._pr_points_lines().coupon_id.partner_id, acme)
        order.action_confirm()
        [spend] = self.spends(order)
        self.assertEqual((spend.partner_id, spend.contact_id, spend.points), (acme, buyer, -1000))

    def test_cards_follow_the_ledger_and_the_nightly_check_repairs(self):
        self.post(self.alice, 400)
        card = self.card(self.alice)
        card.points = 9999
        self.assertEqual(card.points, 400, "a card written by hand is corrected from the ledger at once")
        self.env.cr.execute("UPDATE loyalty_card SET points = 77 WHERE id = %s", [card.id])
        card.invalidate_recordset()
        corrected = self.env["pr.member"]._cron_pr_checkout_mirror()
        self.assertIn((card.id, 77.0, 400), corrected)
        self.assertEqual(card.points, 400)
        log = self.env["ir.logging"].search([("name", "=", "positive_reinforcement.points_mirror")], limit=1)
        self.assertIn("differed from the reward ledger", log.message)
        self.assertFalse(self.env["pr.member"]._cron_pr_checkout_mirror(), "nothing left to repair")

    def test_disabling_archives_the_program(self):
        self.company.pr_checkout_enabled = False
        self.assertFalse(self.program.active)
        order = self.order(self.alice, self.pen)
        with self.assertRaisesRegex(UserError, "not enabled"):
            order.action_pr_pay_with_points()
        with self.assertRaises(ValidationError):
            self.company.write({"pr_checkout_enabled": True, "pr_point_value": 0.0})

    def test_paying_with_points_costs_at_most_three_queries_more_than_an_odoo_reward(self):
        ordinary = self.env["loyalty.program"].create(
            {
                "name": "Ordinary points",
                "program_type": "loyalty",
                "applies_on": "both",
                "trigger": "auto",
                "rule_ids": [(5, 0, 0)],
                "reward_ids": [
                    (5, 0, 0),
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_point",
                            "discount": 0.01,
                            "discount_applicability": "order",
                            "required_points": 1,
                        },
                    ),
                ],
            }
        )
        customers = self.env["res.partner"].create([{"name": f"Till customer {n}"} for n in range(4)])
        self.env["loyalty.card"].create(
            [{"program_id": ordinary.id, "partner_id": p.id, "points": 3000} for p in customers]
        )
        for customer in customers:
            self.post(customer, 3000)

        def pay_and_confirm(customer, program):
            order = self.order(customer, self.pen)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            order._update_programs_and_rewards()
            card = order.applied_coupon_ids.filtered(lambda c: c.program_id == program)
            self.assertFalse(order._apply_program_reward(program.reward_ids, card).get("error"))
            order.action_confirm()
            self.env.flush_all()
            self.assertAlmostEqual(order.amount_total, 70.0, places=2, msg="3,000 points pay 30.00")
            return self.cr.sql_log_count - before

        pay_and_confirm(customers[0], ordinary)  # warm-up of both kinds
        pay_and_confirm(customers[1], self.program)
        odoo_reward = pay_and_confirm(customers[2], ordinary)
        with_points = pay_and_confirm(customers[3], self.program)
        self.assertLessEqual(with_points, odoo_reward + 3, f"{with_points} queries against {odoo_reward}")
        self.assertBalances(customers[3], 0)
        self.assertEqual(self.card(customers[3]).points, 0)
