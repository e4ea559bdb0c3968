from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestRewards(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.coupon_program = cls.env["loyalty.program"].create(
            {
                "name": "Points coupon",
                "program_type": "coupons",
                "trigger": "with_code",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 15, "required_points": 1})],
            }
        )
        cls.ewallet_program = cls.env["loyalty.program"].create(
            {
                "name": "Points eWallet",
                "program_type": "ewallet",
                "trigger": "auto",
                "reward_ids": [
                    Command.create(
                        {"reward_type": "discount", "discount_mode": "per_point", "discount": 1, "required_points": 1}
                    )
                ],
            }
        )
        Reward = cls.env["pr.reward"]
        cls.coupon = Reward.create(
            {"name": "15% off", "kind": "coupon", "points_cost": 200, "program_id": cls.coupon_program.id}
        )
        cls.ewallet = Reward.create(
            {
                "name": "10 in your eWallet",
                "kind": "ewallet",
                "points_cost": 300,
                "program_id": cls.ewallet_program.id,
                "ewallet_amount": 10,
            }
        )
        cls.mug = Reward.create(
            {
                "name": "Coffee mug",
                "kind": "gift",
                "points_cost": 100,
                "limited_stock": True,
                "stock": 1,
                "responsible_id": cls.manager.id,
            }
        )
        cls.gold_only = Reward.create(
            {"name": "Roastery tour", "kind": "experience", "points_cost": 50, "min_tier_id": cls.gold.id}
        )

    def redeem(self, reward, partner, key):
        return reward.with_user(self.user)._redeem(partner, key)

    def test_coupon_redemption_issues_a_real_coupon_and_debits_points(self):
        self.post(self.alice, 500)
        redemption = self.redeem(self.coupon, self.alice, "k1")
        self.assertEqual(redemption.coupon_id.program_id, self.coupon_program)
        self.assertEqual(redemption.coupon_id.partner_id, self.alice)
        self.assertTrue(redemption.coupon_id.code)
        self.assertEqual(redemption.entry_id.points, -200)
        self.assertBalances(self.alice, 300)
        self.assertEqual(self.redeem(self.coupon, self.alice, "k1"), redemption, "a double click redeems once")
        self.assertBalances(self.alice, 300)

    def test_ewallet_credit_and_cancellation_reverse_both(self):
        self.post(self.alice, 700)
        first = self.redeem(self.ewallet, self.alice, "e1")
        second = self.redeem(self.ewallet, self.alice, "e2")
        self.assertEqual(first.coupon_id, second.coupon_id)
        self.assertEqual(first.coupon_id.points, 20)
        first.with_user(self.manager).action_cancel()
        self.assertEqual(first.state, "cancelled")
        self.assertEqual(first.reversal_entry_id.points, 300)
        self.assertEqual(second.coupon_id.points, 10)
        self.assertBalances(self.alice, 400)

    def test_gift_goes_to_a_person_and_stock_runs_out(self):
        self.post(self.alice, 500)
        self.post(self.bob, 500)
        self.redeem(self.mug, self.alice, "m1")
        self.assertEqual(self.mug.stock, 0)
        activity = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", self.alice.id)])
        self.assertEqual(activity.user_id, self.manager)
        with self.assertRaisesRegex(UserError, "out of stock"):
            self.redeem(self.mug, self.bob, "m2")
        self.assertBalances(self.bob, 500)

    def test_refusals_write_nothing(self):
        self.post(self.alice, 150)
        count = self.env["pr.redemption"].search_count([])
        self.coupon_program.action_archive()
        cases = [
            (self.coupon, "archived"),
            (self.ewallet, "costs 300 points"),
            (self.gold_only, "Test Gold customers and above"),
        ]
        for reward, message in cases:
            with self.subTest(message), self.assertRaisesRegex(UserError, message):
                self.redeem(reward, self.alice, f"bad-{reward.id}")
        self.mug.date_to = "2020-01-01"
        with self.assertRaisesRegex(UserError, "not available"):
            self.redeem(self.mug, self.alice, "late")
        self.assertEqual(self.env["pr.redemption"].search_count([]), count)
        self.assertBalances(self.alice, 150)

    def test_catalogue_says_what_each_customer_can_redeem(self):
        self.post(self.alice, 250)
        catalogue = dict(self.env["pr.reward"]._catalogue_for(self.alice))
        self.assertFalse(catalogue[self.coupon])
        self.assertIn("costs 300", catalogue[self.ewallet])
        self.assertIn("Test Gold", catalogue[self.gold_only])

    def test_catalogue_and_redemption_take_constant_queries(self):
        warm = self.env["res.partner"].create({"name": "Warm-up"})
        counts = []
        for index, customer in enumerate((warm, self.alice, self.bob)):
            # Bob has ten times Alice's history.
            for entry in range(1 + 9 * (index == 2)):
                self.post(customer, 300, idempotency_key=f"history:{customer.id}:{entry}")
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.env["pr.reward"]._catalogue_for(customer)
            self.redeem(self.coupon, customer, f"q{index}")
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[1], counts[2], f"1 entry of history: {counts[1]} queries, 10 entries: {counts[2]}")

    def test_wizard_from_the_customer_form(self):
        self.post(self.alice, 500)
        wizard = (
            self.env["pr.redeem"]
            .with_user(self.user)
            .create({"partner_id": self.alice.id, "reward_id": self.coupon.id})
        )
        action = wizard.action_redeem()
        wizard.action_redeem()
        redemption = self.env["pr.redemption"].browse(action["res_id"])
        self.assertEqual(redemption.reward_id, self.coupon)
        self.assertBalances(self.alice, 300)
