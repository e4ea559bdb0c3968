from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestScores(PositiveReinforcementCase):
    """RFM segments and predicted lifetime value, from a company's own order history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._use_own_company("Scores Roasters")
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 10.0})
        cls.today = date(2026, 6, 30)

    def customer(self, name, *orders):
        """A customer with confirmed orders: ``(days before today, amount)``."""
        partner = self.env["res.partner"].create({"name": name})
        for days_ago, amount in orders:
            self.sale_order(
                partner,
                {"product_id": self.product.id, "price_unit": amount},
                date=datetime.combine(self.today - timedelta(days=days_ago), datetime.min.time()),
            )
        return partner

    def member(self, partner):
        return self.env["pr.member"].search([("partner_id", "=", partner.id), ("company_id", "=", self.company.id)])

    def test_segments_and_lifetime_value(self):
        champion = self.customer("Champion", *((days, 120.0) for days in (3, 20, 40, 60, 80, 100, 130)))
        lost = self.customer("Lost", (700, 15.0))
        regulars = [
            self.customer(f"Regular {i}", *((days + i, 40.0 + i) for days in (30 * i + 10, 30 * i + 90, 30 * i + 200)))
            for i in range(1, 9)
        ]
        singles = [self.customer(f"Single {i}", (50 * i, 30.0)) for i in range(1, 5)]
        summary = self.env["pr.member"]._pr_refresh_scores(self.company, today=self.today)
        self.assertEqual(summary["customers"], 2 + len(regulars) + len(singles))
        best, worst = self.member(champion), self.member(lost)
        self.assertEqual((best.rfm_recency, best.rfm_frequency, best.rfm_monetary), (5, 5, 5))
        self.assertEqual(best.rfm_segment, "champions")
        self.assertEqual((worst.rfm_recency, worst.rfm_frequency, worst.rfm_monetary), (1, 1, 1))
        self.assertEqual(worst.rfm_segment, "lost")
        self.assertEqual(best.revenue_to_date, 840.0)
        self.assertEqual(best.orders_count, 7)
        self.assertEqual(best.last_order_date, self.today - timedelta(days=3))
        # The models were fitted: the frequent recent buyer is surely active and worth the most.
        self.assertGreater(best.clv_probability_alive, 0.9)
        self.assertGreater(best.clv_value, max(self.member(p).clv_value for p in [lost, *regulars, *singles]))
        self.assertLess(worst.clv_value, best.clv_value / 10)
        # A single purchase is no error: the spend model gives the population's mean value.
        single = self.member(singles[0])
        self.assertEqual(single.orders_count, 1)
        self.assertGreater(single.clv_value, 0)
        # Usable in any customer filter: reward rules, offer campaigns, searches.
        Partner = self.env["res.partner"].with_company(self.company)
        self.assertEqual(Partner.search([("pr_rfm_segment", "=", "champions")]) & (champion | lost), champion)
        self.assertEqual(champion.with_company(self.company).pr_rfm_segment, "champions")

    def test_refunds_larger_than_the_orders_never_go_below_zero(self):
        self.env["account.chart.template"].try_loading("generic_coa", company=self.company, install_demo=False)
        partner = self.customer("Refunded", (10, 50.0))
        other = self.customer("Other", (5, 80.0), (40, 20.0))
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_line_ids": [Command.create({"name": "Goodwill", "quantity": 1, "price_unit": 90.0})],
            }
        )
        refund.action_post()
        self.env["pr.member"]._pr_refresh_scores(self.company, today=self.today)
        member = self.member(partner)
        self.assertEqual(member.revenue_to_date, 0.0)
        self.assertLess(member.rfm_monetary, self.member(other).rfm_monetary)

    def test_too_few_customers_to_fit_keeps_rfm_and_predicts_nothing(self):
        partner = self.customer("Alone", (10, 50.0), (20, 60.0))
        summary = self.env["pr.member"]._pr_refresh_scores(self.company, today=self.today)
        self.assertIn("not predicted", summary["note"])
        member = self.member(partner)
        self.assertTrue(member.rfm_segment)
        self.assertFalse(member.clv_value)
        self.assertFalse(member.clv_probability_alive)
