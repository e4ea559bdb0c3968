import re

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.website_sale.tests.common import WebsiteSaleCommon


@tagged("post_install", "-at_install")
class TestCartPoints(HttpCase, WebsiteSaleCommon):
    """A signed-in customer pays part of the eCommerce cart with points, through the shop's own pages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["pr.reward.rule"].search([]).action_archive()
        cls.env.company.write(
            {
                "pr_wallet_mode": "commercial",
                "pr_point_value": 0.01,
                "pr_checkout_min_points": 100,
                "pr_checkout_max_share": 50.0,
                "pr_checkout_tier_ids": [(5, 0, 0)],
                "pr_checkout_enabled": True,
            }
        )
        cls.program = cls.env.company.pr_checkout_program_id
        cls.buyer = new_test_user(cls.env, login="pr_shop_buyer", groups="base.group_portal", name="Shop Buyer")
        cls.chair = cls.env["product.product"].create(
            {"name": "Points Chair", "list_price": 80.0, "taxes_id": False, "website_published": True}
        )
        cls.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": cls.buyer.partner_id.id, "kind": "earn", "points": 2500, "reason": "seed"}]
        )

    def _cart(self):
        self.authenticate("pr_shop_buyer", "pr_shop_buyer")
        self.make_jsonrpc_request(
            "/shop/cart/add",
            {"product_template_id": self.chair.product_tmpl_id.id, "product_id": self.chair.id, "quantity": 1},
        )
        return self.env["sale.order"].search(
            [
                ("partner_id", "=", self.buyer.partner_id.id),
                ("website_id", "=", self.website.id),
                ("state", "=", "draft"),
            ],
            order="id desc",
            limit=1,
        )

    def test_ecommerce_order_paid_partly_with_points(self):
        order = self._cart()
        self.assertEqual(order.amount_total, 80.0)
        page = self.url_open("/shop/cart").text
        self.assertIn("Your reward points:", page)
        self.assertIn("2,500", page)
        reward = self.program.reward_ids
        self.assertIn(f'name="reward_id" value="{reward.id}"', page, "the shop offers to pay with points")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.url_open("/shop/claimreward", data={"reward_id": reward.id, "csrf_token": token})
        order.invalidate_recordset()
        self.assertEqual(order.pr_points_spent, 2500, "the customer's 2,500 points, below half of 80.00")
        self.assertAlmostEqual(order.amount_total, 55.0, places=2)

        # Payment confirms the order: the ledger is debited in the same transaction.
        order.sudo().action_confirm()
        member = self.env["pr.member"].search([("partner_id", "=", self.buyer.partner_id.id)])
        self.assertEqual(member.points_available, 0)
        [spend] = self.env["pr.ledger.entry"].search(
            [("source_model", "=", "sale.order"), ("source_id", "=", order.id)]
        )
        self.assertEqual((spend.kind, spend.points), ("redeem", -2500))
        card = self.env["loyalty.card"].search(
            [("program_id", "=", self.program.id), ("partner_id", "=", self.buyer.partner_id.id)]
        )
        self.assertEqual(card.points, 0)

    def test_cart_tells_why_points_cannot_pay(self):
        gold = self.env["pr.tier"].create({"name": "Cart Gold", "min_points": 99999, "company_id": self.env.company.id})
        self.env.company.pr_checkout_tier_ids = gold
        self._cart()
        page = self.url_open("/shop/cart").text
        self.assertIn("Paying with points is for Cart Gold customers", page)
        self.assertNotIn(f'name="reward_id" value="{self.program.reward_ids.id}"', page)
