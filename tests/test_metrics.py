from datetime import date, datetime

from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestMetrics(PositiveReinforcementCase):
    """The six metrics on a small history whose figures can be counted by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._use_own_company("Metrics Roasters")
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 10.0})
        cls.today = date(2026, 6, 15)

    def customer(self, name, *days):
        partner = self.env["res.partner"].create({"name": name})
        for day in days:
            self.sale_order(
                partner,
                {"product_id": self.product.id, "price_unit": 100.0},
                date=datetime.combine(day, datetime.min.time()),
            )
        return partner

    def feedback(self, partner, metric, score, day):
        return self.env["pr.feedback"].create(
            {
                "partner_id": partner.id,
                "contact_id": partner.id,
                "company_id": self.company.id,
                "metric": metric,
                "score": score,
                "date": datetime.combine(day, datetime.min.time()),
                "source_model": "test",
                "source_id": self.env["pr.feedback"].search_count([]) + 1,
            }
        )

    def metric(self, period, start, dimension="all", **group):
        domain = [
            ("company_id", "=", self.company.id),
            ("period", "=", period),
            ("date", "=", start),
            ("dimension", "=", dimension),
        ]
        domain += [(name, "=", value) for name, value in group.items()]
        return self.env["pr.metric"].search(domain)

    def test_six_metrics_of_a_month_counted_by_hand(self):
        anna = self.customer("Anna", date(2025, 3, 10), date(2026, 5, 5))  # back after 14 months
        ben = self.customer("Ben", date(2025, 5, 20))  # active at the start of May, then gone
        cara = self.customer("Cara", date(2026, 5, 12), date(2026, 5, 20))  # new in May, twice
        self.customer("Dan", date(2026, 6, 2))  # June only
        self.feedback(anna, "nps", 10, date(2026, 5, 6))
        self.feedback(cara, "nps", 9, date(2026, 5, 21))
        self.feedback(ben, "nps", 3, date(2026, 5, 22))
        self.feedback(cara, "nps", 8, date(2026, 5, 23))
        self.feedback(anna, "csat", 5, date(2026, 5, 7))
        self.feedback(ben, "csat", 2, date(2026, 5, 8))
        self.env["pr.metric"]._pr_refresh(self.company, today=self.today)
        may = self.metric("month", date(2026, 5, 1))
        # Customers: at the start of May, those who bought from May 2025 to April 2026 (Ben); at its end,
        # June 2025 to May 2026 (Anna, Cara); Cara is new.
        self.assertEqual((may.customers_start, may.customers_end, may.customers_new), (1, 2, 1))
        self.assertEqual(may.retention_rate, 100.0)  # (2 - 1) / 1
        self.assertEqual((may.purchasers, may.repeaters), (2, 2))  # both have bought twice to date
        self.assertEqual(may.repeat_rate, 100.0)
        self.assertEqual(may.nps, 25.0)  # 2 promoters, 1 detractor, 4 answers
        self.assertEqual(may.csat, 50.0)
        self.assertEqual(may.customers_to_date, 3)  # Anna, Ben, Cara
        self.assertAlmostEqual(may.clv_historical, 500.0 / 3, places=2)
        self.assertEqual(may.retention_display, "100.0 %")
        self.assertEqual(may.nps_display, "+25")
        june = self.metric("month", date(2026, 6, 1))
        self.assertEqual((june.customers_start, june.customers_end, june.customers_new), (2, 3, 1))
        self.assertEqual(june.nps_display, "n/a", "no answer in June: not a score of zero")
        quarter = self.metric("quarter", date(2026, 4, 1))
        self.assertEqual((quarter.customers_new, quarter.purchasers), (2, 3))

    def test_periods_without_customers_show_na_and_groups_add_up(self):
        self.customer("Eve", date(2026, 6, 1))
        self.env["pr.member"]._pr_refresh_scores(self.company, today=self.today)
        self.env["pr.metric"]._pr_refresh(self.company, today=self.today)
        june = self.metric("month", date(2026, 6, 1))
        self.assertEqual(june.customers_start, 0)
        self.assertEqual(june.retention_display, "n/a")
        self.assertEqual(june.referral_display, "0.0 %")
        by_segment = self.metric("month", date(2026, 6, 1), dimension="segment")
        self.assertEqual(sum(by_segment.mapped("purchasers")), june.purchasers)
        self.assertEqual(
            self.env["pr.metric"]._pr_refresh(self.company, today=self.today),
            len(self.env["pr.metric"].search([("company_id", "=", self.company.id)])),
            "a refresh replaces the previous rows",
        )

    def test_metrics_read_in_constant_queries(self):
        for i in range(3):
            self.customer(f"Customer {i}", date(2026, 5, 3 + i))
        self.env["pr.metric"]._pr_refresh(self.company, today=self.today)
        small = self.env["pr.metric"].search([("company_id", "=", self.company.id)])
        with self.assertQueryCount(3):
            small.invalidate_recordset()
            small.read(["retention_display", "nps_display", "clv_display"])

    def test_revenue_is_counted_in_company_currency(self):
        foreign = (
            self.env.ref("base.EUR")
            if self.company.currency_id != self.env.ref("base.EUR")
            else self.env.ref("base.USD")
        )
        foreign.active = True
        self.env["res.currency.rate"].create(
            {"name": "2026-01-01", "rate": 2.0, "currency_id": foreign.id, "company_id": self.company.id}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id, "company_id": self.company.id}
        )
        partner = self.env["res.partner"].create({"name": "Foreign buyer"})
        order = self.sale_order(
            partner,
            {"product_id": self.product.id, "price_unit": 300.0},
            pricelist_id=pricelist.id,
            date=datetime(2026, 5, 10),
        )
        self.assertEqual(order.currency_id, foreign)
        self.env["pr.metric"]._pr_refresh(self.company, today=self.today)
        may = self.metric("month", date(2026, 5, 1))
        self.assertAlmostEqual(may.revenue, 300.0 / order.currency_rate, places=2)
        self.assertAlmostEqual(may.revenue, 150.0, places=2)
