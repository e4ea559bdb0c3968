from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestExpiry(PositiveReinforcementCase):
    def expire(self):
        self.env["pr.member"].search([])._pr_expire_points()

    def expired_points(self, partner):
        return sum(self.Ledger.search([("partner_id", "=", partner.id), ("kind", "=", "expire")]).mapped("points"))

    def test_first_in_first_out(self):
        with freeze_time("2025-01-10"):
            self.post(self.alice, 100)
        with freeze_time("2025-07-10"):
            self.post(self.alice, 50)
        with freeze_time("2025-08-10"):
            self.post(self.alice, -80, "redeem")  # spends 80 of the January lot
        with freeze_time("2025-12-20"):
            self.expire()
            self.assertEqual(self.expired_points(self.alice), 0)
            self.assertEqual(self.member(self.alice).points_expiring, 20, "January's 20 left expire within 30 days")
        with freeze_time("2026-01-11"):
            self.expire()
            self.expire()  # a second run the same day changes nothing
            self.assertEqual(self.expired_points(self.alice), -20)
            self.assertBalances(self.alice, 50)
        with freeze_time("2026-01-12"):
            self.expire()  # nor does the next day's run
            self.assertEqual(self.expired_points(self.alice), -20)
        with freeze_time("2026-07-11"):
            self.expire()
            self.assertEqual(self.expired_points(self.alice), -70)
            self.assertBalances(self.alice, 0, lifetime=150)

    def test_reversed_points_do_not_expire(self):
        with freeze_time("2025-01-10"):
            earned = self.post(self.alice, 100)
            self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -100}])
        with freeze_time("2026-02-01"):
            self.expire()
            self.assertEqual(self.expired_points(self.alice), 0)
            self.assertBalances(self.alice, 0)

    def test_no_expiry_when_validity_is_zero(self):
        self.company.pr_points_validity_months = 0
        with freeze_time("2020-01-10"):
            entry = self.post(self.alice, 100)
        self.assertFalse(entry.expiry_date)
        self.expire()
        self.assertEqual(self.expired_points(self.alice), 0)

    def test_expiry_cron_runs_in_batches(self):
        with freeze_time("2025-01-10"):
            self.post(self.alice, 10)
            self.post(self.bob, 20)
        with freeze_time(datetime(2026, 3, 1)):
            cron = self.env.ref("positive_reinforcement.ir_cron_expire_points")
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
            self.assertEqual(self.expired_points(self.alice), -10)
            self.assertEqual(self.expired_points(self.bob), -20)
