from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from ..models.pr_i18n import installed_langs
from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestAnonymize(PositiveReinforcementCase):
    """A customer asks to be forgotten: a manager erases what the addon holds, the ledger still adds up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice.write({"phone": "+62 811 000 111", "street": "Jalan Mawar 1", "pr_leaderboard_opt_in": True})
        Referral = cls.env["pr.referral"]
        cls.referral = Referral._refer(cls.bob, friend=cls.alice, ip="203.0.113.7")
        cls.invitation = Referral.create(
            {
                "referrer_id": cls.alice.id,
                "friend_email": "nina.friend@example.com",
                "channel": "invite",
                "state": "invited",
                "ip_hash": "abc123",
            }
        )
        cls.feedback = cls.env["pr.feedback"].create(
            {
                "partner_id": cls.alice.id,
                "contact_id": cls.alice.id,
                "metric": "nps",
                "score": 9,
                "comment": "Alice Tester loves the shop",
            }
        )
        cls.naming = cls.Event.create({"partner_id": cls.bob.id, "behavior_id": cls.b_social.id})
        cls.naming.with_context(lang="en_US").write({"message": "Duplicate of Alice Tester's post"})

    def wizard(self, user=None, **values):
        return (
            self.env["pr.anonymize.wizard"]
            .with_user(user or self.manager)
            .create({"partner_id": self.alice.id, **values})
        )

    def test_anonymised_customer_keeps_a_balanced_ledger(self):
        self.post(self.alice, 300, reason="Purchase")
        self.post(self.alice, -50, kind="adjust", reason="Goodwill")
        before = self.Ledger.search_read([("partner_id", "=", self.alice.id)], ["points", "date", "kind"], order="id")
        self.wizard().action_anonymize()
        after = self.Ledger.search_read([("partner_id", "=", self.alice.id)], ["points", "date", "kind"], order="id")
        self.assertEqual(after, before, "the ledger rows keep their points and dates and still point to the contact")
        self.assertBalances(self.alice, 250, lifetime=300)

    def test_what_is_erased_is_gone(self):
        self.post(self.alice, 300, reason="Purchase")
        self.assertTrue(self.env["pr.leaderboard"].search([("partner_id", "=", self.alice.id)]))
        self.assertTrue(self.referral.sudo().ip_hash and self.naming.message)
        wizard = self.wizard()
        self.assertIn("1 feedback comments", wizard.summary)
        self.assertFalse(wizard.has_warnings)
        wizard.action_anonymize()

        alice = self.alice.with_context(active_test=False)
        self.assertFalse(alice.active)
        self.assertEqual(alice.name, f"Anonymised customer {alice.id}")
        self.assertFalse(alice.email or alice.phone or alice.street or alice.pr_leaderboard_opt_in)
        self.assertFalse(any((self.referral | self.invitation).sudo().mapped("ip_hash")), "network-address hashes")
        self.assertFalse(self.referral.friend_email)
        self.assertNotIn("Alice", self.referral.friend_name)
        self.assertFalse(self.invitation.friend_email, "the invited friend's email")
        self.assertNotIn("nina", self.invitation.friend_name.lower(), "the invited friend's name")
        self.assertFalse(self.feedback.comment)
        self.assertFalse(self.env["pr.leaderboard"].search([("partner_id", "=", self.alice.id)]))
        for lang in installed_langs(self.env):
            message = self.naming.with_context(lang=lang).message or ""
            self.assertNotIn("Alice", message, f"event message in {lang}")
        tracked = self.env["mail.tracking.value"].search(
            [("mail_message_id.model", "=", "res.partner"), ("mail_message_id.res_id", "=", self.alice.id)]
        )
        self.assertFalse(
            [v for v in tracked if "alice" in f"{v.old_value_char} {v.new_value_char}".lower()],
            "the contact's tracking keeps no old value",
        )

    def test_logged_on_the_contact_by_the_manager(self):
        self.wizard().action_anonymize()
        notes = self.alice.message_ids.filtered(lambda m: "Anonymised by" in str(m.body))
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.author_id, self.manager.partner_id)
        self.assertIn(self.manager.name, str(notes.body))
        self.assertIn("cannot be undone", str(notes.body))

    def test_logged_in_the_managers_language(self):
        self.env["res.lang"]._activate_lang("id_ID")
        self.manager.lang = "id_ID"
        with freeze_time("2026-03-04 10:00:00"):
            self.wizard().action_anonymize()
        note = self.alice.message_ids.filtered(lambda m: self.manager.name in str(m.body))
        self.assertEqual(len(note), 1)
        self.assertIn("04/03/2026", str(note.body), "dated as the manager reads dates (Indonesian: day first)")

    def test_pending_points_need_confirmation(self):
        self.post(self.alice, 80, pending=True)
        wizard = self.wizard()
        self.assertTrue(wizard.has_warnings)
        self.assertIn("80", wizard.warnings)
        with self.assertRaises(UserError):
            wizard.action_anonymize()
        self.assertTrue(self.alice.active, "refused: nothing was erased")
        self.assertTrue(self.feedback.comment)
        wizard.confirm = True
        wizard.action_anonymize()
        self.assertFalse(self.alice.with_context(active_test=False).active)
        self.assertBalances(self.alice, 0, pending=80)

    def test_unused_coupons_need_confirmation(self):
        program = self.env["loyalty.program"].create(
            {
                "name": "Anonymise coupons",
                "program_type": "coupons",
                "trigger": "with_code",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )
        reward = self.env["pr.reward"].create(
            {"name": "10% off", "kind": "coupon", "points_cost": 100, "program_id": program.id}
        )
        self.post(self.alice, 300)
        redemption = reward._redeem(self.alice, "anonymise-coupon")
        self.assertTrue(redemption.coupon_id)
        wizard = self.wizard()
        self.assertTrue(wizard.has_warnings)
        with self.assertRaises(UserError):
            wizard.action_anonymize()
        wizard.write({"confirm": True})
        wizard.action_anonymize()
        self.assertBalances(self.alice, 200)

    def test_refused_to_non_managers(self):
        wizard = self.wizard()
        with self.assertRaises(AccessError):
            wizard.with_user(self.user).action_anonymize()
        with self.assertRaises(AccessError):
            self.wizard(user=self.user)
        self.assertTrue(self.alice.active)
        self.assertTrue(self.feedback.comment)

    def test_refused_while_the_customer_has_a_user(self):
        portal = self.env["res.users"].create(
            {
                "name": "Portal Alice",
                "login": "anon_portal",
                "partner_id": self.alice.id,
                "group_ids": [Command.set([self.env.ref("base.group_portal").id])],
            }
        )
        with self.assertRaises(UserError):
            self.wizard().action_anonymize()
        portal.action_archive()
        self.wizard().action_anonymize()
        self.assertFalse(self.alice.with_context(active_test=False).active)
