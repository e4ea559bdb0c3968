from datetime import date

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestPending(PositiveReinforcementCase):
    def run_release_cron(self):
        with self.enter_registry_test_mode():
            self.env.ref("positive_reinforcement.ir_cron_release_pending").method_direct_trigger()
        self.env.invalidate_all()

    def test_pending_days_hold_points_until_release(self):
        self.company.pr_pending_days = 14
        with freeze_time("2026-03-01"):
            entry = self.post(self.alice, 100)
            self.assertEqual(entry.state, "pending")
            self.assertEqual(entry.release_date, date(2026, 3, 15))
            self.assertBalances(self.alice, 0, pending=100, lifetime=0)
            with self.assertRaisesRegex(UserError, "short"):
                self.post(self.alice, -10, "redeem")
        with freeze_time("2026-03-15"):
            self.run_release_cron()
            self.assertEqual(entry.state, "available")
            self.assertBalances(self.alice, 100, pending=0, lifetime=100)
            self.run_release_cron()  # nothing left to release
            self.assertBalances(self.alice, 100, pending=0, lifetime=100)

    def test_pending_until_released_explicitly(self):
        entry = self.post(self.alice, 80, pending=True)
        self.run_release_cron()
        self.assertEqual(entry.state, "pending")
        reversal = self.Ledger._post_movements([{"reversed_entry_id": entry.id, "points": -30}])
        self.assertEqual(reversal.state, "pending")
        self.assertBalances(self.alice, 0, pending=50)
        self.Ledger._release_pending(entry)
        self.assertEqual((entry | reversal).mapped("state"), ["available", "available"])
        self.assertBalances(self.alice, 50, pending=0, lifetime=50)

    def test_release_moves_the_tier(self):
        self.post(self.alice, 600, pending=True)
        member = self.member(self.alice)
        self.assertEqual(member.tier_id, self.bronze, "pending points do not count for the tier")
        self.Ledger._release_pending(self.Ledger.search([("member_id", "=", member.id)]))
        member.invalidate_recordset()
        self.assertEqual(member.tier_id, self.silver)
