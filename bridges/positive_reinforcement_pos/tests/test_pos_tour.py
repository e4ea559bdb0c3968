from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon


@tagged("post_install", "-at_install")
class TestPosTour(TestPointOfSaleHttpCommon):
    """The till in a browser: customer selected, tier and points shown, points applied, order paid, ledger debited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("positive_reinforcement.positive_reinforcement_group_manager")
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.env["pr.reward.rule"].search([]).action_archive()
        cls.env["pr.tier"].search([]).action_archive()
        company = cls.env.company
        cls.env["pr.tier"].create({"name": "Tour Gold", "min_points": 0, "company_id": company.id})
        company.write(
            {
                "pr_wallet_mode": "commercial",
                "pr_point_value": 0.01,
                "pr_checkout_min_points": 100,
                "pr_checkout_max_share": 50.0,
                "pr_checkout_tier_ids": [(5, 0, 0)],
                "pr_checkout_enabled": True,
            }
        )
        cls.shopper = cls.env["res.partner"].create({"name": "Tour Shopper"})
        cls.env["product.product"].create(
            {"name": "Till Lamp", "list_price": 100.0, "taxes_id": False, "available_in_pos": True}
        )
        cls.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": cls.shopper.id, "kind": "earn", "points": 3000, "reason": "seed"}]
        )

    def test_pay_with_points_at_the_till(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("PrPosPayWithPoints")
        order = self.env["pos.order"].search([("partner_id", "=", self.shopper.id)])
        self.assertEqual((order.state, order.amount_total), ("paid", 70.0))
        spend = self.env["pr.ledger.entry"].search([("source_model", "=", "pos.order"), ("source_id", "=", order.id)])
        self.assertEqual((spend.kind, spend.points), ("redeem", -3000))
        member = self.env["pr.member"].search([("partner_id", "=", self.shopper.id)])
        self.assertEqual(member.points_available, 0)
        card = self.env["loyalty.card"].search(
            [("program_id", "=", self.env.company.pr_checkout_program_id.id), ("partner_id", "=", self.shopper.id)]
        )
        self.assertEqual(card.points, 0)
