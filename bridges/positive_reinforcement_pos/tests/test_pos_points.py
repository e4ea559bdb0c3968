from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon


@tagged("post_install", "-at_install")
class TestPosPoints(TestPoSCommon):
    """Earning and spending at the till, through the POS's own synchronisation (as the till sends orders)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("positive_reinforcement.positive_reinforcement_group_manager")
        cls.env["pr.reward.rule"].search([]).action_archive()
        company = cls.env.company
        company.write(
            {
                "pr_wallet_mode": "commercial",
                "pr_pending_days": 0,
                "pr_release_on": "payment",
                "pr_point_value": 0.01,
                "pr_checkout_min_points": 100,
                "pr_checkout_max_share": 50.0,
                "pr_checkout_enabled": True,
            }
        )
        Rule = cls.env["pr.reward.rule"]
        purchase = cls.env.ref("positive_reinforcement.pr_behavior_purchase")
        first = cls.env.ref("positive_reinforcement.pr_behavior_first_purchase")
        cls.per_unit = Rule.create(
            {
                "name": "POS purchase",
                "behavior_id": purchase.id,
                "company_id": company.id,
                "points_mode": "per_currency",
                "rate": 1.0,
                "apply_multiplier": False,
                "release": "policy",
            }
        )
        cls.welcome = Rule.create(
            {
                "name": "POS first purchase",
                "behavior_id": first.id,
                "company_id": company.id,
                "points": 50,
                "apply_multiplier": False,
            }
        )
        cls.program = company.pr_checkout_program_id
        cls.reward = cls.program.reward_ids
        cls.shopper = cls.env["res.partner"].create({"name": "Till Shopper", "company_id": company.id})
        cls.lamp = cls.create_product("Till Lamp", cls.categ_basic, 100.0)
        cls.vase = cls.create_product("Till Vase", cls.categ_basic, 100.0)

    def setUp(self):
        super().setUp()
        self.config = self.basic_config
        self.open_new_session()

    # helpers ---------------------------------------------------------------------------------

    def sync(self, data):
        """Sync one order as the till does; the order saved (the POS also returns a refunded order)."""
        self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].search([("uuid", "=", data["uuid"])])

    def order_data(self, lines, customer=None, **values):
        return self.create_ui_order_data(lines, customer=customer or self.shopper, **values)

    def points_line(self, points):
        card = self.env["pr.member"]._pr_mirror_card(self.shopper, self.env.company)
        amount = points * 0.01
        return {
            "product": self.reward.discount_line_product_id,
            "quantity": 1,
            "price_unit": -amount,
            "price_subtotal": -amount,
            "price_subtotal_incl": -amount,
            "reward_id": self.reward.id,
            "coupon_id": card.id,
            "points_cost": points,
            "is_reward_line": True,
            "reward_identifier_code": "till-points",
        }

    def refund_data(self, order, lines):
        """A refund of ``lines`` (``[(order line, quantity)]``) of ``order``, as the till sends it."""
        data = self.create_ui_order_data([(line.product_id, -qty) for line, qty in lines], customer=order.partner_id)
        for (_cmd, _id, vals), (line, _qty) in zip(data["lines"], lines, strict=True):
            vals["refunded_orderline_id"] = line.id
            vals["price_unit"] = line.price_unit
        return data

    def ledger(self, order):
        return self.env["pr.ledger.entry"].search(
            [("source_model", "=", "pos.order"), ("source_id", "=", order.id)], order="id"
        )

    def process(self):
        events = self.env["pr.event"].search([("state", "=", "pending"), ("partner_id", "=", self.shopper.id)])
        events._pr_process()

    def available(self):
        member = self.env["pr.member"].search([("partner_id", "=", self.shopper.id)])
        member.invalidate_recordset()
        return member.points_available

    # tests --------------------------------------------------------------------------------------

    def test_paid_order_earns_purchase_and_first_purchase(self):
        first = self.sync(self.order_data([(self.lamp, 1), (self.vase, 1)]))
        self.assertEqual(first.state, "paid")
        self.assertTrue(first.pr_is_first_order)
        events = self.env["pr.event"].search([("source_model", "=", "pos.order"), ("source_id", "=", first.id)])
        self.assertEqual(sorted(events.behavior_id.mapped("code")), ["first_purchase", "purchase"])
        self.process()
        earned = self.ledger(first)
        self.assertEqual(sorted(earned.mapped("points")), [50, 200])
        self.assertEqual(set(earned.mapped("state")), {"available"}, "paid at the till: no invoice to wait for")
        second = self.sync(self.order_data([(self.lamp, 1)]))
        self.assertFalse(second.pr_is_first_order)
        self.process()
        self.assertEqual(self.ledger(second).mapped("points"), [100])
        self.assertEqual(self.available(), 350)

    def test_first_purchase_counts_sales_orders_too(self):
        sale = (
            self.env["sale.order"]
            .sudo()
            .create({"partner_id": self.shopper.id, "order_line": [(0, 0, {"product_id": self.lamp.id})]})
        )
        sale.action_confirm()
        order = self.sync(self.order_data([(self.lamp, 1)]))
        self.assertFalse(order.pr_is_first_order)

    def test_sales_order_after_a_till_order_is_no_first_purchase(self):
        a_minute_ago = fields.Datetime.to_string(fields.Datetime.now() - timedelta(minutes=1))
        self.sync(self.order_data([(self.lamp, 1)], pos_order_ui_args={"date_order": a_minute_ago}))
        sale = (
            self.env["sale.order"]
            .sudo()
            .create({"partner_id": self.shopper.id, "order_line": [(0, 0, {"product_id": self.lamp.id})]})
        )
        sale.action_confirm()
        self.assertFalse(sale.pr_is_first_order)
        Sale = self.env["sale.order"].sudo()
        self.assertNotIn(sale, Sale.search([("pr_is_first_order", "=", True)]))
        self.assertIn(sale, Sale.search([("pr_is_first_order", "=", False)]))
        first = self.env["pr.event"].search(
            [("partner_id", "=", self.shopper.id), ("behavior_id.code", "=", "first_purchase")]
        )
        self.assertEqual((len(first), first.source_model), (1, "pos.order"), "the till order was the first purchase")

    def test_order_synced_twice_counts_once(self):
        data = self.order_data([(self.lamp, 1)])
        order = self.sync(dict(data))
        again = self.sync(dict(data))
        self.assertEqual(order, again)
        self.assertEqual(self.env["pos.order"].search_count([("uuid", "=", data["uuid"])]), 1)
        self.process()
        self.assertEqual(sorted(self.ledger(order).mapped("points")), [50, 100])
        self.assertEqual(self.available(), 150)

    def test_refund_takes_back_in_proportion_never_twice_never_more(self):
        order = self.sync(self.order_data([(self.lamp, 1), (self.vase, 1)]))
        self.process()
        self.assertEqual(self.available(), 250)
        lamp_line, vase_line = order.lines
        refund_data = self.refund_data(order, [(lamp_line, 1)])
        refund = self.sync(dict(refund_data))
        self.assertEqual(refund.state, "paid")
        self.assertEqual(self.available(), 150, "half the order refunded: half the 200 purchase points, no bonus")
        self.sync(dict(refund_data))
        self.assertEqual(self.available(), 150, "synced twice, refunded once")
        self.sync(self.refund_data(order, [(vase_line, 1)]))
        self.assertEqual(self.available(), 0, "all refunded: every point earned, the first-purchase bonus too")
        reversals = self.env["pr.ledger.entry"].search(
            [("kind", "=", "reversal"), ("partner_id", "=", self.shopper.id)]
        )
        self.assertEqual(sorted(reversals.mapped("points")), [-100, -100, -50])

    def test_order_paid_partly_with_points(self):
        self.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": self.shopper.id, "kind": "earn", "points": 3000, "reason": "seed"}]
        )
        order = self.sync(self.order_data([(self.lamp, 1), self.points_line(3000)]))
        self.assertEqual(order.state, "paid")
        self.assertAlmostEqual(order.amount_total, 70.0)
        spend = self.ledger(order).filtered(lambda e: e.kind == "redeem")
        self.assertEqual((spend.points, spend.idempotency_key), (-3000, f"pos.order:{order.id}:spend"))
        card = self.env["pr.member"]._pr_mirror_card(self.shopper, self.env.company)
        self.assertEqual(card.points, 0)
        self.process()
        self.assertEqual(self.available(), 120, "the order earns on what was paid: 70 points, and the 50 bonus")

        # Refunding the whole order gives the points back, once.
        self.sync(self.refund_data(order, [(order.lines.filtered(lambda line: not line.reward_id), 1)]))
        self.assertEqual(self.available(), 3000)

    def test_points_beyond_the_limits_are_refused(self):
        self.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": self.shopper.id, "kind": "earn", "points": 9000, "reason": "seed"}]
        )
        with self.assertRaisesRegex(UserError, "spends 6000 points; at most 5000 are allowed"):
            self.sync(self.order_data([(self.lamp, 1), self.points_line(6000)]))
        self.env.company.pr_checkout_tier_ids = self.env["pr.tier"].create(
            {"name": "Till Platinum", "min_points": 999999, "company_id": self.env.company.id}
        )
        with self.assertRaisesRegex(UserError, "Paying with points is for Till Platinum customers"):
            self.sync(self.order_data([(self.lamp, 1), self.points_line(1000)]))
        self.assertFalse(
            self.env["pr.ledger.entry"].search([("kind", "=", "redeem"), ("partner_id", "=", self.shopper.id)])
        )
        self.assertEqual(self.available(), 9000)

    def test_till_shows_tier_and_points(self):
        self.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": self.shopper.id, "kind": "earn", "points": 1234, "reason": "seed"}]
        )
        cashier = self.env["res.users"].create(
            {
                "name": "Till Cashier",
                "login": "pr_till_cashier",
                "company_id": self.env.company.id,
                "company_ids": [(6, 0, self.env.company.ids)],
                "group_ids": [
                    (6, 0, [self.env.ref("base.group_user").id, self.env.ref("point_of_sale.group_pos_user").id])
                ],
            }
        )
        Partner = self.env["res.partner"].with_user(cashier)
        data = Partner._load_pos_data_read(self.shopper.with_user(cashier), self.config)[0]
        self.assertEqual(data["pr_pos_points"], 1234)
        self.assertEqual(data["pr_pos_holder_ref"], self.shopper.id)
        member = self.env["pr.member"].search([("partner_id", "=", self.shopper.id)])
        self.assertEqual(data["pr_pos_tier_name"], member.tier_id.name or False)
        company = self.env["res.company"]._load_pos_data_read(self.env.company, self.config)[0]
        self.assertEqual(company["pr_pos_checkout"]["min_points"], 100)
