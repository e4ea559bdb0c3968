from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestPerformance(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(100)])

    def count_queries(self, movements):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.Ledger._post_movements(movements)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def movements(self, customers, tag, points=10):
        return [
            {"partner_id": c.id, "points": points, "kind": "earn", "idempotency_key": f"{tag}:{c.id}"}
            for c in customers
        ]

    def test_posting_costs_the_same_queries_for_10_or_100(self):
        self.count_queries(self.movements(self.bob, "warm-up"))
        # New members, then existing members with upgrades, then plain earnings.
        for tag, points in (("first", 10), ("upgrade", 600), ("plain", 10)):
            small = self.count_queries(self.movements(self.customers[:10], f"{tag}-small", points))
            large = self.count_queries(self.movements(self.customers[10:], f"{tag}-large", points))
            self.assertEqual(small, large, f"{tag}: 10 movements took {small} queries, 90 took {large}")
        with self.assertQueryCount(20):
            self.Ledger._post_movements(self.movements(self.customers, "bounded"))

    def test_partner_list_takes_constant_queries(self):
        self.Ledger._post_movements(self.movements(self.customers, "seed", 600))
        Partner = self.env["res.partner"].with_user(self.manager)
        fields_spec = {"display_name": {}, "pr_tier_id": {"fields": {"display_name": {}}}, "pr_points_available": {}}
        counts = []
        for limit in (8, 8, 80):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            result = Partner.web_search_read([("id", "in", self.customers.ids)], fields_spec, limit=limit)
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(len(result["records"]), limit)
            self.assertTrue(all(r["pr_tier_id"] for r in result["records"]))
        self.assertEqual(counts[1], counts[2], f"8 partners took {counts[1]} queries, 80 took {counts[2]}")


@tagged("post_install", "-at_install")
class TestEventPerformance(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create([{"name": f"Fan {i}"} for i in range(110)])
        cls.Rule.create(
            [
                {"name": "Social", "behavior_id": cls.b_social.id, "points": 10, "max_per_period": 3},
                {
                    "name": "Spend",
                    "behavior_id": cls.b_purchase.id,
                    "points_mode": "per_currency",
                    "monthly_budget": 10**9,
                },
            ]
        )

    def events(self, customers):
        return self.Event.create(
            [
                {"partner_id": c.id, "behavior_id": b.id, "value": 120.0}
                for c in customers
                for b in (self.b_social, self.b_purchase)
            ]
        )

    def count(self, events):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        events._pr_process()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_processing_costs_the_same_queries_for_10_or_100_events(self):
        self.count(self.events(self.customers[100:]))  # warm-up
        small = self.count(self.events(self.customers[:5]))
        large = self.count(self.events(self.customers[5:55]))
        self.assertEqual(small, large, f"10 events took {small} queries, 100 took {large}")
        again_small = self.count(self.events(self.customers[:5]))
        again_large = self.count(self.events(self.customers[5:55]))
        self.assertEqual(again_small, again_large)
