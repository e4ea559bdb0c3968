from datetime import date

from odoo.tests import Form, freeze_time, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestTiers(PositiveReinforcementCase):
    def review(self):
        self.env["pr.member"].search([])._pr_daily_review()

    def test_upgrade_at_once_and_kept_in_history_and_chatter(self):
        with freeze_time("2026-02-01"):
            self.post(self.alice, 400)
            member = self.member(self.alice)
            self.assertEqual(member.tier_id, self.bronze)
            self.post(self.alice, 200)
            self.assertEqual(member.tier_id, self.silver)
            self.assertEqual(member.tier_since, date(2026, 2, 1))
            self.assertEqual(member.review_date, date(2027, 2, 1))
            history = member.tier_history_ids.sorted("id")
            self.assertEqual(history.mapped("to_tier_id"), self.bronze | self.silver)
            self.assertEqual(history[-1].from_tier_id, self.bronze)
            self.assertEqual(history[-1].reason, "upgrade")
            with self.enter_registry_test_mode():
                self.env.ref("positive_reinforcement.ir_cron_log_tier_changes").method_direct_trigger()
            self.assertIn("Test Silver", self.alice.message_ids[0].body)
            self.assertIn("Test Bronze", self.alice.message_ids[0].body)
            self.assertTrue(all(history.mapped("chatter_logged")))
            self.assertEqual(self.alice.pr_tier_id, self.silver)

    def test_spending_never_demotes(self):
        with freeze_time("2026-02-01"):
            self.post(self.alice, 1600)
            self.post(self.alice, -1600, "redeem")
            self.review()
            self.assertEqual(self.member(self.alice).tier_id, self.gold)

    def test_downgrade_only_after_review_date_and_grace(self):
        with freeze_time("2025-01-15"):
            self.post(self.alice, 1600)
            member = self.member(self.alice)
            self.assertEqual(member.tier_id, self.gold)
            self.assertEqual(member.review_date, date(2026, 1, 15))
        with freeze_time("2025-06-01"):
            self.review()
            self.assertEqual(member.tier_id, self.gold)
        with freeze_time("2026-01-20"):
            # The window no longer holds the points, the review date has passed, but the grace runs.
            self.review()
            self.assertEqual(member.tier_id, self.gold)
        with freeze_time("2026-02-14"):
            self.review()
            member.invalidate_recordset()
            self.assertEqual(member.tier_id, self.bronze)
            self.assertEqual(member.tier_history_ids[0].reason, "downgrade")
            self.assertEqual(member.review_date, date(2027, 2, 14))

    def test_requalifying_during_grace_keeps_the_tier(self):
        with freeze_time("2025-01-15"):
            self.post(self.alice, 1600)
        with freeze_time("2026-01-20"):
            self.post(self.alice, 1500)
            self.review()
            member = self.member(self.alice)
            self.assertEqual(member.tier_id, self.gold)
            self.assertEqual(member.review_date, date(2027, 1, 20))

    def test_revenue_floor(self):
        self.gold.min_revenue = 1000
        self.post(self.alice, 2000)
        self.assertEqual(self.member(self.alice).tier_id, self.silver)

    def test_multiplier_and_tier_on_entry(self):
        self.post(self.alice, 600)
        entry = self.post(self.alice, 10)
        self.assertEqual(entry.tier_id, self.silver)
        self.assertEqual(self.silver.member_count, 1)

    def test_simulation_counts_without_saving(self):
        # A company of its own, so that no other member is counted.
        company = self.env["res.company"].create({"name": "Simulated Co"})
        self.manager.company_ids |= company
        ledger = self.Ledger.with_company(company)
        ledger._post_movements([{"partner_id": self.alice.id, "points": 600, "kind": "earn"}])
        ledger._post_movements([{"partner_id": self.bob.id, "points": 1600, "kind": "earn"}])
        wizard_form = Form(self.env["pr.tier.simulation"].with_user(self.manager).with_company(company))
        with wizard_form.line_ids.edit(2) as line:
            self.assertEqual(line.tier_id, self.gold)
            line.min_points = 2000
        wizard = wizard_form.save()
        self.assertEqual(wizard.company_id, company)
        lines = {line.tier_id: line for line in wizard.line_ids}
        self.assertEqual(lines[self.gold].current_count, 1)
        self.assertEqual(lines[self.gold].simulated_count, 0)
        self.assertEqual(lines[self.silver].simulated_count, 2)
        self.assertEqual(wizard.member_count, 2)
        self.assertEqual(wizard.unranked_count, 0)
        self.assertEqual(self.gold.min_points, 1500, "nothing saved before Apply")
        wizard.action_apply()
        self.assertEqual(self.gold.min_points, 2000)
