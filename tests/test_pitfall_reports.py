from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestPitfallReports(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._use_own_company(
            "Pitfall Roasters", currency_id=cls.env.company.currency_id.id, pr_point_value=0.02
        )
        Reward = cls.env["pr.reward"]
        cls.mug = Reward.create({"name": "Mug", "kind": "gift", "points_cost": 100, "cost": 4.0})
        cls.tour = Reward.create({"name": "Roastery tour", "kind": "experience", "points_cost": 1000, "cost": 50.0})
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 200.0})

    def report(self, model, domain=()):
        self.env.flush_all()
        return self.env[model].search(list(domain))

    def test_redemption_rate_counts_customers_who_could_afford_the_reward(self):
        carol = self.env["res.partner"].create({"name": "Carol Tester"})
        self.post(self.alice, 300)
        self.post(self.bob, 150)
        self.post(carol, 50)
        self.mug._redeem(self.alice, "a")
        self.mug._redeem(self.alice, "b")
        rows = self.report("pr.reward.report", [("company_id", "=", self.company.id)])
        mug = rows.filtered(lambda r: r.reward_id == self.mug)
        self.assertEqual((mug.eligible, mug.redeemers, mug.redemptions), (2, 1, 2))
        self.assertEqual(mug.redemption_rate, 50.0)
        self.assertEqual(mug.cost, 8.0)
        tour = rows.filtered(lambda r: r.reward_id == self.tour)
        self.assertEqual((tour.eligible, tour.redemption_rate), (0, 0.0), "nobody could afford it: no rate")

    def test_reward_cost_against_revenue_of_rewarded_customers(self):
        self.post(self.alice, 300)
        self.mug._redeem(self.alice, "a")
        gift = self.env["pr.surprise.gift"].create({"name": "Hamper", "partner_id": self.bob.id, "value": 16.0})
        gift.with_user(self.manager).action_approve()
        gift.action_send()
        for partner in (self.alice, self.bob, self.env["res.partner"].create({"name": "Not rewarded"})):
            self.sale_order(partner, {"product_id": self.product.id})
        row = self.report("pr.reward.cost.report", [("company_id", "=", self.company.id)])[:1]
        self.assertEqual((row.redemption_cost, row.gift_cost, row.reward_cost), (4.0, 16.0, 20.0))
        self.assertEqual(row.rewarded_customers, 2)
        self.assertEqual(row.rewarded_revenue, 400.0)
        self.assertEqual(row.total_revenue, 600.0)
        self.assertEqual(row.cost_ratio, 5.0)

    def test_points_liability_values_outstanding_points(self):
        self.post(self.alice, 600)
        self.post(self.bob, 100)
        self.post(self.bob, 50, pending=True)
        rows = self.report("pr.points.liability.report", [("company_id", "=", self.company.id)])
        silver = rows.filtered(lambda r: r.tier_id == self.silver)
        bronze = rows.filtered(lambda r: r.tier_id == self.bronze)
        self.assertEqual((silver.members, silver.points_available, silver.liability), (1, 600, 12.0))
        self.assertEqual((bronze.points_available, bronze.points_pending, bronze.liability), (100, 50, 3.0))
