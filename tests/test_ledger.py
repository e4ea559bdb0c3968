from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestLedger(PositiveReinforcementCase):
    def test_post_moves_balances(self):
        self.post(self.alice, 300)
        self.post(self.alice, -120, "redeem")
        self.assertBalances(self.alice, 180, lifetime=300)
        self.assertEqual(self.alice.pr_points_available, 180)
        self.assertEqual(self.alice.pr_ledger_count, 2)

    def test_entries_cannot_be_modified_or_deleted_by_anyone(self):
        entry = self.post(self.alice, 100)
        for env in (self.env(user=self.manager), self.env(su=True)):
            with self.assertRaises(UserError):
                entry.with_env(env).write({"points": 1000})
            with self.assertRaises(UserError):
                entry.with_env(env).unlink()
        self.assertEqual(entry.points, 100)

    def test_database_refuses_raw_changes(self):
        entry = self.post(self.alice, 100)
        self.env.flush_all()
        for query in (
            "UPDATE pr_ledger_entry SET points = 5 WHERE id = %s",
            "DELETE FROM pr_ledger_entry WHERE id = %s",
        ):
            with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env.cr.execute(query, [entry.id])
        self.env.cr.execute("SELECT points FROM pr_ledger_entry WHERE id = %s", [entry.id])
        self.assertEqual(self.env.cr.fetchone()[0], 100)

    def test_reversal_is_linked_and_bounded(self):
        earned = self.post(self.alice, 200)
        part = self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -50, "reason": "return"}])
        self.assertEqual(part.kind, "reversal")
        self.assertEqual(part.reversed_entry_id, earned)
        self.assertEqual(earned.reversible_points, 150)
        self.assertBalances(self.alice, 150, lifetime=150)
        with self.assertRaisesRegex(UserError, "exceeds what remains"):
            self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -151}])
        with self.assertRaisesRegex(UserError, "opposite direction"):
            self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": 10}])
        with self.assertRaisesRegex(UserError, "cannot be reversed"):
            self.Ledger._post_movements([{"reversed_entry_id": part.id, "points": 50}])
        self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -150}])
        self.assertBalances(self.alice, 0, lifetime=0)

    def test_reversing_a_redemption_gives_points_back(self):
        self.post(self.alice, 500)
        redeemed = self.post(self.alice, -200, "redeem")
        self.Ledger._post_movements([{"reversed_entry_id": redeemed.id, "points": 200, "reason": "cancelled"}])
        self.assertBalances(self.alice, 500, lifetime=500)

    def test_repeated_idempotency_key_returns_the_existing_entry(self):
        first = self.post(self.alice, 100, idempotency_key="order:42")
        again = self.post(self.alice, 100, idempotency_key="order:42")
        self.assertEqual(first, again)
        twice_in_batch = self.Ledger._post_movements(
            [
                {"partner_id": self.bob.id, "points": 10, "kind": "earn", "idempotency_key": "order:43"},
                {"partner_id": self.bob.id, "points": 10, "kind": "earn", "idempotency_key": "order:43"},
            ]
        )
        self.assertEqual(twice_in_batch[0], twice_in_batch[1])
        self.assertBalances(self.alice, 100)
        self.assertBalances(self.bob, 10)

    def test_a_spend_replayed_after_the_points_are_gone_returns_its_entry(self):
        self.post(self.alice, 100)
        spend = self.post(self.alice, -100, "redeem", idempotency_key="order:44:spend")
        self.assertBalances(self.alice, 0)
        self.assertEqual(self.post(self.alice, -100, "redeem", idempotency_key="order:44:spend"), spend)
        self.assertBalances(self.alice, 0)
        with self.assertRaisesRegex(UserError, "0 points available, 100 short"):
            self.post(self.alice, -100, "redeem", idempotency_key="order:45:spend")

    def test_a_refused_spend_of_a_new_customer_creates_nothing(self):
        newcomer = self.env["res.partner"].create({"name": "Newcomer"})
        with self.assertRaisesRegex(UserError, "Newcomer has 0 points available, 5 short"):
            self.post(newcomer, -5, "redeem")
        self.assertFalse(self.member(newcomer))
        self.assertFalse(self.Ledger.search([("partner_id", "=", newcomer.id)]))

    def test_bad_input_writes_nothing(self):
        self.post(self.alice, 100)
        archived = self.env["res.partner"].create({"name": "Gone", "active": False})
        count = self.Ledger.search_count([])
        good = {"partner_id": self.bob.id, "points": 10, "kind": "earn"}
        cases = {
            "unknown or archived": {"partner_id": 999999999, "points": 10, "kind": "earn"},
            "unknown or archived ": {"partner_id": archived.id, "points": 10, "kind": "earn"},
            "other than zero": {"partner_id": self.bob.id, "points": 0, "kind": "earn"},
            "whole number": {"partner_id": self.bob.id, "points": 1.5, "kind": "earn"},
            "unknown kind": {"partner_id": self.bob.id, "points": 10, "kind": "gift"},
            "must be positive": {"partner_id": self.bob.id, "points": -10, "kind": "earn"},
            "short": {"partner_id": self.alice.id, "points": -101, "kind": "redeem"},
            "in the future": {"partner_id": self.bob.id, "points": 10, "kind": "earn", "date": "2999-01-01"},
        }
        for message, bad in cases.items():
            with self.subTest(message), self.assertRaisesRegex(UserError, message.strip()):
                self.Ledger._post_movements([good, bad])
        self.assertEqual(self.Ledger.search_count([]), count)
        self.assertFalse(self.member(self.bob))
        self.assertBalances(self.alice, 100)

    def test_commercial_entity_holds_the_points(self):
        company = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Wile", "parent_id": company.id})
        entry = self.post(contact, 40)
        self.assertEqual(entry.partner_id, company)
        self.assertEqual(entry.contact_id, contact)
        self.assertEqual(contact.pr_points_available, 40)
        self.assertEqual(company.pr_points_available, 40)

    def test_per_contact_wallets(self):
        self.company.pr_wallet_mode = "contact"
        company = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Wile", "parent_id": company.id})
        entry = self.post(contact, 40)
        self.assertEqual(entry.partner_id, contact)
        self.assertEqual(contact.pr_points_available, 40)
        self.assertEqual(company.pr_points_available, 0)

    def test_adjustment_wizard_needs_a_reason_and_posts_once(self):
        self.post(self.alice, 100)
        Wizard = self.env["pr.ledger.adjust"].with_user(self.manager)
        wizard = Wizard.create({"partner_id": self.alice.id, "points": -30, "reason": "  "})
        with self.assertRaisesRegex(UserError, "reason"):
            wizard.action_post()
        wizard.reason = "Damaged parcel"
        wizard.action_post()
        wizard.action_post()  # a double click
        self.assertBalances(self.alice, 70)
        adjust = self.Ledger.search([("kind", "=", "adjust"), ("partner_id", "=", self.alice.id)])
        self.assertEqual(len(adjust), 1)
        self.assertEqual(adjust.reason, "Damaged parcel")
        self.assertEqual(adjust.create_uid, self.manager)

    def test_reverse_wizard_defaults_to_what_remains(self):
        earned = self.post(self.alice, 100)
        self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -40}])
        action = earned.with_user(self.manager).action_reverse()
        wizard = (
            self.env["pr.ledger.adjust"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"reason": "Order cancelled"})
        )
        self.assertEqual(wizard.points, -60)
        wizard.action_post()
        self.assertBalances(self.alice, 0)

    def test_members_only_earning_keep_stats_equal_to_a_full_read(self):
        """Posting reads no ledger history for members whose batch only earns: their stats must not drift."""
        today = fields.Date.context_today(self.env["pr.member"])
        self.post(self.alice, 300)  # a full read: the stats are today's
        self.post(self.alice, 250, date=fields.Datetime.now() - timedelta(days=500))  # outside the window
        self.post(self.alice, 400)  # reaches silver through the increment
        self.post(self.alice, 20, pending=True)
        member = self.member(self.alice)
        member.invalidate_recordset()
        full = member._pr_read_stats(today)[member.id]
        self.assertEqual(member.points_window, full["window"])
        self.assertEqual(member.points_window, 700)
        self.assertEqual(member.points_expiring, full["expiring"])
        self.assertEqual(member.tier_id, self.silver)
        self.assertEqual(member.stats_date, today)

    def test_stats_read_on_another_day_are_read_again(self):
        self.post(self.alice, 300)
        member = self.member(self.alice)
        # As if yesterday's window held points that have since left it.
        self.env.cr.execute(
            "UPDATE pr_member SET points_window = 5000, stats_date = %s WHERE id = %s",
            [fields.Date.context_today(member) - timedelta(days=1), member.id],
        )
        member.invalidate_recordset()
        self.post(self.alice, 10)
        member.invalidate_recordset()
        self.assertEqual(member.points_window, 310)
        self.assertEqual(member.tier_id, self.bronze)

    def test_known_stats_follow_debits_reversals_and_soon_expiring_lots(self):
        """Posted the same day, every kind of movement moves the stored stats as a full read counts them."""
        today = fields.Date.context_today(self.env["pr.member"])
        old = fields.Datetime.now() - timedelta(days=350)  # expires within the month (12 months' validity)
        lot = self.post(self.alice, 300, date=old)
        self.post(self.alice, 500)
        self.post(self.alice, -120, kind="redeem")
        self.Ledger._post_movements([{"reversed_entry_id": lot.id, "points": -50, "kind": "reversal"}])
        debit = self.post(self.alice, -30, kind="redeem")
        self.Ledger._post_movements([{"reversed_entry_id": debit.id, "points": 30, "kind": "reversal"}])
        self.post(self.alice, 40, kind="adjust")
        member = self.member(self.alice)
        member.invalidate_recordset()
        full = member._pr_read_stats(today)[member.id]
        self.assertEqual(
            (member.points_window, member.points_expiring, member.stats_due_soon, member.stats_spent),
            (full["window"], full["expiring"], full["due_soon"], full["spent"]),
        )
        self.assertEqual(member.points_expiring, 130)  # 250 left of the old lot, 120 spent on it first
