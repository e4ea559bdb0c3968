import psycopg2.errors

from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import PositiveReinforcementCase

GROUP_USER = "positive_reinforcement.positive_reinforcement_group_user"


@tagged("post_install", "-at_install")
class TestLanguages(PositiveReinforcementCase):
    """What the addon writes is read in the reader's language: ledger, events, tasks, notes, emails, figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("id_ID")
        cls.env["ir.module.module"]._load_module_terms(["positive_reinforcement"], ["id_ID"], overwrite=True)
        # Budi reads Indonesian, and so does Dewi, his salesperson; Alice and hers (pr_user) read English.
        cls.dewi = new_test_user(cls.env, login="pr_dewi", groups=GROUP_USER, name="Dewi Sales", lang="id_ID")
        cls.budi = cls.env["res.partner"].create(
            {"name": "Budi Pelanggan", "email": "budi@example.com", "lang": "id_ID", "user_id": cls.dewi.id}
        )
        cls.alice.write({"lang": "en_US", "user_id": cls.user.id})

    def rule(self, name, indonesian, **values):
        rule = self.Rule.create({"name": name, "behavior_id": self.b_review.id, "points": 10, **values})
        rule.with_context(lang="id_ID").name = indonesian
        return rule

    def in_both(self, record, fname):
        return record.with_context(lang="en_US")[fname], record.with_context(lang="id_ID")[fname]

    # ------------------------------------------------------------
    # THE LEDGER AND THE EVENTS: EVERY LANGUAGE, WRITTEN ONCE
    # ------------------------------------------------------------

    def test_a_reason_posted_by_the_expiry_cron_reads_in_each_readers_language(self):
        with freeze_time("2025-01-10"):
            self.post(self.budi, 100)
        with freeze_time("2026-01-11"):
            self.env["pr.member"].with_context(lang="en_US").search([])._pr_expire_points()
        expired = self.Ledger.search([("partner_id", "=", self.budi.id), ("kind", "=", "expire")])
        self.assertEqual(self.in_both(expired, "reason"), ("Points expired", "Poin kedaluwarsa"))
        # What the portal and the back office read: the reader's language, whoever posted it.
        rows = self.Ledger.with_context(lang="id_ID").search_read([("id", "=", expired.id)], ["reason"])
        self.assertEqual(rows[0]["reason"], "Poin kedaluwarsa")

    def test_typed_reasons_read_the_same_in_every_language(self):
        entry = self.post(self.budi, 5, "adjust", reason="Parsel rusak")
        self.assertEqual(self.in_both(entry, "reason"), ("Parsel rusak", "Parsel rusak"))

    def test_rule_names_decisions_and_event_messages_in_each_language(self):
        self.rule("Thanks for your review", "Terima kasih atas ulasan Anda", once_per_customer=True)
        first, second = self.event(self.budi, self.b_review), self.event(self.budi, self.b_review)
        self.process(first)
        self.process(second)
        entry = self.Ledger.search([("partner_id", "=", self.budi.id)])
        self.assertEqual(self.in_both(entry, "reason"), ("Thanks for your review", "Terima kasih atas ulasan Anda"))
        self.assertEqual(self.in_both(first, "message"), ("10 points granted.", "10 poin diberikan."))
        self.assertEqual(
            self.in_both(second.decision_ids, "note"), ("Already rewarded once.", "Sudah pernah diberi hadiah.")
        )
        self.assertEqual(
            self.in_both(second, "message"),
            ("No reward: Already rewarded once.", "Tidak ada hadiah: Sudah pernah diberi hadiah."),
        )

    def test_an_ignored_event_says_so_in_each_language(self):
        event = self.event(self.budi, self.b_review)
        event.with_user(self.manager).with_context(lang="en_US").action_ignore()
        english, indonesian = self.in_both(event, "message")
        self.assertEqual(english, f"Ignored by {self.manager.name}.")
        self.assertEqual(indonesian, f"Diabaikan oleh {self.manager.name}.")

    def test_loading_a_language_translates_what_the_engine_wrote_before_it(self):
        # As written before Indonesian was installed (or before reasons were translated): English only.
        expired = self.post(self.budi, 5, "adjust", reason={"en_US": "Points expired"})
        credit = self.post(self.budi, 5, "adjust", reason={"en_US": "Credit note RINV/2026/00007"})
        typed = self.post(self.budi, 5, "adjust", reason="Damaged parcel")
        event = self.event(self.budi, self.b_review)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE pr_event SET message = %s::jsonb WHERE id = %s",
            ['{"en_US": "No reward: Already rewarded once. The value earns no points."}', event.id],
        )
        self.env["ir.module.module"]._load_module_terms(["positive_reinforcement"], ["id_ID"])
        self.assertEqual(self.in_both(expired, "reason"), ("Points expired", "Poin kedaluwarsa"))
        self.assertEqual(self.in_both(credit, "reason"), ("Credit note RINV/2026/00007", "Nota kredit RINV/2026/00007"))
        self.assertEqual(self.in_both(typed, "reason"), ("Damaged parcel", "Damaged parcel"), "typed: as it was")
        self.assertEqual(
            event.with_context(lang="id_ID").message,
            "Tidak ada hadiah: Sudah pernah diberi hadiah. Nilai ini tidak menghasilkan poin.",
        )

    def test_the_ledger_lets_a_language_in_but_never_changes_the_english(self):
        entry = self.post(self.budi, 5, "adjust", reason={"en_US": "Points expired"})
        self.env.flush_all()
        self.env.cr.execute("SELECT set_config('pr.ledger_translate', 'on', true)")
        with self.assertRaises(psycopg2.errors.RestrictViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    'UPDATE pr_ledger_entry SET reason = \'{"en_US": "Gift"}\'::jsonb WHERE id = %s', [entry.id]
                )
        with self.assertRaises(psycopg2.errors.RestrictViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env.cr.execute("UPDATE pr_ledger_entry SET points = 6 WHERE id = %s", [entry.id])
        self.env.cr.execute("SELECT set_config('pr.ledger_translate', 'off', true)")
        with self.assertRaises(psycopg2.errors.RestrictViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    """UPDATE pr_ledger_entry SET reason = reason || '{"id_ID": "x"}'::jsonb WHERE id = %s""",
                    [entry.id],
                )

    # ------------------------------------------------------------
    # TASKS AND NOTES: THE LANGUAGE OF WHOEVER READS THEM
    # ------------------------------------------------------------

    def test_a_task_is_written_in_its_assignees_language(self):
        rule = self.rule(
            "Thanks for your review",
            "Terima kasih atas ulasan Anda",
            personal_touch="note",
            personal_message="Your kind words made our week.",
        )
        rule.with_context(lang="id_ID").personal_message = "Kata-kata Anda membuat minggu kami menyenangkan."
        self.process(self.event(self.budi, self.b_review) | self.event(self.alice, self.b_review))
        budi_task, alice_task = self.budi.activity_ids, self.alice.activity_ids
        self.assertEqual(budi_task.user_id, self.dewi)
        self.assertEqual(budi_task.summary, "Ucapan terima kasih: Terima kasih atas ulasan Anda")
        self.assertIn("Kata-kata Anda", str(budi_task.note), "the card's words: the customer's language")
        self.assertEqual(alice_task.user_id, self.user)
        self.assertEqual(alice_task.summary, "Thank-you note: Thanks for your review")
        self.assertIn("Your kind words", str(alice_task.note))

    def test_a_tier_change_is_told_in_the_salespersons_language(self):
        self.silver.with_context(lang="id_ID").name = "Perak Uji"
        self.post(self.budi, 600)
        self.post(self.alice, 600)
        changes = self.env["pr.tier.history"].search([("partner_id", "in", (self.budi | self.alice).ids)])
        changes.filtered(lambda change: not change.chatter_logged)._log_in_chatter()
        budi_note = self.budi.message_ids.filtered(lambda m: "Perak Uji" in str(m.body))
        self.assertTrue(budi_note, "the tier's name in Indonesian")
        self.assertIn("Tingkatan loyalitas berubah", str(budi_note[0].body))
        alice_note = self.alice.message_ids.filtered(lambda m: "Test Silver" in str(m.body))
        self.assertIn("Loyalty tier changed", str(alice_note[0].body))

    def test_the_company_language_when_nobody_looks_after_the_customer(self):
        self.company.partner_id.lang = "id_ID"
        orphan = self.env["res.partner"].create({"name": "Tanpa Sales", "lang": "en_US"})
        self.post(orphan, 600)
        self.env["pr.tier.history"].search([("partner_id", "=", orphan.id)])._log_in_chatter()
        self.assertTrue(orphan.message_ids.filtered(lambda m: "Tingkatan loyalitas berubah" in str(m.body)))

    # ------------------------------------------------------------
    # EMAILS: THE CUSTOMER'S LANGUAGE
    # ------------------------------------------------------------

    def test_email_subjects_are_in_the_customers_language(self):
        template = self.env.ref("positive_reinforcement.mail_template_pr_thank_you")
        self.rule("Thanks for your review", "Terima kasih atas ulasan Anda", mail_template_id=template.id)
        events = self.event(self.budi, self.b_review) | self.event(self.alice, self.b_review)
        self.process(events)
        mails = self.env["mail.mail"].search([("model", "=", "pr.event"), ("res_id", "in", events.ids)])
        subjects = {mail.recipient_ids: mail.subject for mail in mails}
        self.assertEqual(subjects, {self.budi: "Terima kasih, Budi Pelanggan!", self.alice: "Thank you, Alice Tester!"})

    def test_every_email_template_of_the_addon_has_a_language(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "positive_reinforcement"), ("model", "=", "mail.template")]
        )
        templates = self.env["mail.template"].browse(data.mapped("res_id"))
        self.assertTrue(templates)
        self.assertEqual(templates.filtered(lambda template: not template.lang), self.env["mail.template"])

    # ------------------------------------------------------------
    # FIGURES: THE READER'S WAY OF WRITING NUMBERS
    # ------------------------------------------------------------

    def test_metrics_figures_follow_the_readers_number_format(self):
        metric = self.env["pr.metric"].new(
            {
                "company_id": self.company.id,
                "period": "month",
                "customers_start": 8,
                "customers_to_date": 5,
                "retention_rate": 12.5,
                "clv_historical": 3609.92,
            }
        )
        english, indonesian = metric.with_context(lang="en_US"), metric.with_context(lang="id_ID")
        self.assertEqual(english.retention_display, "12.5 %")
        self.assertEqual(indonesian.retention_display, "12,5 %")
        self.assertIn("3,609.92", english.clv_display)
        self.assertIn("3.609,92", indonesian.clv_display)
        self.assertIn(self.company.currency_id.symbol, indonesian.clv_display)
