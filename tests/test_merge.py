import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestMergeContacts(PositiveReinforcementCase):
    """Odoo's contact merge keeps every point: the duplicate's ledger becomes the survivor's."""

    def merge(self, *partners, into):
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge([p.id for p in partners], into)

    def test_merging_moves_the_ledger_and_adds_the_balances(self):
        duplicate = self.env["res.partner"].create({"name": "Alice T.", "email": "alice@example.com"})
        self.post(self.alice, 400)
        self.post(duplicate, 300)
        self.post(duplicate, 50, pending=True)
        entries = self.Ledger.search([("partner_id", "=", duplicate.id)])
        keys = set(entries.mapped("idempotency_key"))
        self.merge(self.alice, duplicate, into=self.alice)
        self.assertFalse(duplicate.exists())
        self.assertBalances(self.alice, 700, pending=50, lifetime=700)  # pending points count once released
        self.assertEqual(self.member(self.alice).tier_id, self.silver, "the merged points reach silver")
        self.assertEqual(entries.partner_id, self.alice)
        self.assertEqual(set(entries.mapped("idempotency_key")), keys, "the entries themselves are unchanged")
        self.assertEqual(self.env["pr.member"].search_count([("partner_id", "=", duplicate.id)]), 0)

    def test_merging_into_a_contact_without_points_keeps_the_member(self):
        newcomer = self.env["res.partner"].create({"name": "Bob Newcomer", "email": "bob@example.com"})
        self.post(self.bob, 120)
        member = self.member(self.bob)
        self.merge(self.bob, newcomer, into=newcomer)
        self.assertEqual(member.partner_id, newcomer)
        self.assertBalances(newcomer, 120)

    def test_the_ledger_still_refuses_changes_after_a_merge(self):
        duplicate = self.env["res.partner"].create({"name": "Alice Two", "email": "alice@example.com"})
        entry = self.post(duplicate, 10)
        self.merge(self.alice, duplicate, into=self.alice)
        with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env.cr.execute("UPDATE pr_ledger_entry SET partner_id = %s WHERE id = %s", [self.bob.id, entry.id])
        with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env.cr.execute("UPDATE pr_ledger_entry SET points = 99 WHERE id = %s", [entry.id])
