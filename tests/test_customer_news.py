from odoo.tests import freeze_time, tagged

from .common import PositiveReinforcementCase

EXPIRING_ID = "Budi Pelanggan, sebagian poin Anda segera kedaluwarsa"
UPGRADE_ID = "Selamat, Budi Pelanggan: selamat datang di tingkatan Test Silver!"


@tagged("post_install", "-at_install")
class TestCustomerNews(PositiveReinforcementCase):
    """Customers hear by email, once and in their language, of points about to expire and of their tier."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("id_ID")
        cls.budi = cls.env["res.partner"].create(
            {"name": "Budi Pelanggan", "email": "budi@example.com", "lang": "id_ID"}
        )
        cls.alice.lang = "en_US"
        cls.company.write({"pr_expiry_reminder_days": 30, "pr_tier_upgrade_email": True, "pr_tier_reminder_days": 30})
        cls.silver.benefits = "<p>Free delivery on every order</p>"
        # The Indonesian of the subjects, as i18n/id.po gives them once merged.
        expiring = cls.env.ref("positive_reinforcement.mail_template_pr_points_expiring")
        expiring.update_field_translations(
            "subject", {"id_ID": "{{ object.partner_id.name }}, sebagian poin Anda segera kedaluwarsa"}
        )
        expiring.update_field_translations(
            "body_html", {"id_ID": expiring.body_html.replace("See my rewards", "Lihat Hadiah Saya")}
        )
        cls.env.ref("positive_reinforcement.mail_template_pr_tier_upgrade").update_field_translations(
            "subject",
            {"id_ID": "Selamat, {{ object.partner_id.name }}: selamat datang di tingkatan {{ object.tier_id.name }}!"},
        )

    def run_cron(self, xmlid):
        with self.enter_registry_test_mode():
            self.env.ref(f"positive_reinforcement.{xmlid}").method_direct_trigger()
        self.env.invalidate_all()

    def remind_expiry(self):
        self.run_cron("ir_cron_pr_expiry_reminders")

    def tell_tiers(self):
        self.run_cron("ir_cron_pr_tier_news")

    def mails(self, partners, subject=""):
        members = self.env["pr.member"].search([("partner_id", "in", partners.ids)])
        return self.env["mail.mail"].search(
            [("model", "=", "pr.member"), ("res_id", "in", members.ids), ("subject", "ilike", subject)], order="id"
        )

    def subjects(self, partners, subject=""):
        return sorted((mail.recipient_ids.name, mail.subject) for mail in self.mails(partners, subject))

    # ------------------------------------------------------------
    # POINTS ABOUT TO EXPIRE
    # ------------------------------------------------------------

    def test_expiry_reminder_once_per_expiry_date_in_each_language(self):
        reward = self.env["pr.reward"].create({"name": "Free coffee", "kind": "gift", "points_cost": 120})
        self.env["pr.reward"].create({"name": "Weekend trip", "kind": "gift", "points_cost": 5000})
        with freeze_time("2025-01-10"):
            self.post(self.alice, 100)
            self.post(self.budi, 100)
        with freeze_time("2025-02-10"):
            self.post(self.alice, 50)
            self.post(self.alice, -30, "redeem")  # spends 30 of January's lot: 70 expire first
        with freeze_time("2025-12-01"):
            self.remind_expiry()
            self.assertFalse(self.mails(self.alice | self.budi), "January's lot expires in more than 30 days")
        with freeze_time("2025-12-20"):
            self.remind_expiry()
            self.remind_expiry()  # twice the same day
            self.assertEqual(
                self.subjects(self.alice | self.budi),
                [
                    ("Alice Tester", "Alice Tester, some of your points expire soon"),
                    ("Budi Pelanggan", EXPIRING_ID),
                ],
            )
            alice_mail = self.mails(self.alice)
            self.assertIn("<strong>70</strong> of your points expire on", alice_mail.body_html)
            self.assertIn("01/10/2026", alice_mail.body_html)
            self.assertIn("<strong>120</strong> points", alice_mail.body_html, "the balance")
            self.assertIn(reward.name, alice_mail.body_html, "a reward she can afford")
            self.assertNotIn("Weekend trip", alice_mail.body_html)
            self.assertIn("/my/rewards", alice_mail.body_html)
            self.assertIn("See my rewards", alice_mail.body_html)
            budi_mail = self.mails(self.budi)
            self.assertIn("Lihat Hadiah Saya", budi_mail.body_html, "the body in Indonesian")
            self.assertIn("10/01/2026", budi_mail.body_html, "the date, written the Indonesian way")
        with freeze_time("2025-12-27"):
            self.remind_expiry()  # the next days: nothing new
        self.assertEqual(len(self.mails(self.alice | self.budi)), 2)
        with freeze_time("2026-01-20"):
            self.env["pr.member"].search([])._pr_expire_points()
            self.remind_expiry()
            self.remind_expiry()
        alice_mails = self.mails(self.alice)
        self.assertEqual(len(alice_mails), 2, "February's lot: a new date, a new reminder")
        self.assertIn("<strong>50</strong> of your points expire on", alice_mails[-1].body_html)
        self.assertEqual(len(self.mails(self.budi)), 1, "nothing of Budi's expires any more")

    def test_no_expiry_reminder_when_off_blacklisted_or_without_email(self):
        carla = self.env["res.partner"].create({"name": "Carla Tanpa Email"})
        with freeze_time("2025-01-10"):
            for partner in (self.alice, self.bob, carla):
                self.post(partner, 100)
        self.env["mail.blacklist"]._add(self.bob.email)
        with freeze_time("2025-12-20"):
            self.company.pr_expiry_reminder_days = 0
            self.remind_expiry()
            self.assertFalse(self.mails(self.alice | self.bob | carla), "turned off")
            self.company.pr_expiry_reminder_days = 30
            self.remind_expiry()
            self.assertEqual(self.mails(self.alice | self.bob | carla).recipient_ids, self.alice)

    # ------------------------------------------------------------
    # TIERS
    # ------------------------------------------------------------

    def test_upgrade_congratulated_once_in_each_language(self):
        self.post(self.alice, 600)
        self.post(self.budi, 600)
        self.tell_tiers()
        self.tell_tiers()
        self.assertEqual(
            self.subjects(self.alice | self.budi),
            [
                ("Alice Tester", "Congratulations, Alice Tester: welcome to Test Silver!"),
                ("Budi Pelanggan", UPGRADE_ID),
            ],
        )
        self.assertIn("Free delivery on every order", self.mails(self.alice).body_html)
        self.post(self.alice, 1000)  # on to Gold: a new change, a new email
        self.tell_tiers()
        self.tell_tiers()
        self.assertEqual(
            [mail.subject for mail in self.mails(self.alice)],
            [
                "Congratulations, Alice Tester: welcome to Test Silver!",
                "Congratulations, Alice Tester: welcome to Test Gold!",
            ],
        )

    def test_no_upgrade_email_when_off_or_blacklisted(self):
        self.company.pr_tier_upgrade_email = False
        self.post(self.alice, 600)
        self.tell_tiers()
        self.assertFalse(self.mails(self.alice))
        self.company.pr_tier_upgrade_email = True
        self.env["mail.blacklist"]._add(self.bob.email)
        self.post(self.bob, 600)
        self.tell_tiers()
        self.assertFalse(self.mails(self.bob), "blacklisted")
        self.assertEqual(len(self.mails(self.alice)), 1, "turned on again: a recent upgrade is told")

    def test_keep_tier_reminder_before_the_review(self):
        self.env.ref("positive_reinforcement.mail_template_pr_tier_keep").update_field_translations(
            "subject", {"id_ID": "{{ object.partner_id.name }}, pertahankan tingkatan {{ object.tier_id.name }} Anda"}
        )
        with freeze_time("2025-01-10"):
            for partner in (self.alice, self.budi):
                earned = self.post(partner, 600)
                self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -200}])
            self.post(self.bob, 600)  # Bob keeps his tier
            self.tell_tiers()
        self.assertEqual(self.member(self.alice).tier_id, self.silver)
        self.assertEqual(self.member(self.alice).review_date.isoformat(), "2026-01-10")
        with freeze_time("2025-12-01"):
            self.tell_tiers()
            self.assertFalse(self.mails(self.alice, "keep"), "the review is more than 30 days away")
        with freeze_time("2025-12-20"):
            self.tell_tiers()
            self.tell_tiers()
        self.assertEqual(
            self.subjects(self.alice | self.bob | self.budi, "pertahankan")
            + self.subjects(self.alice | self.bob, "keep"),
            [
                ("Budi Pelanggan", "Budi Pelanggan, pertahankan tingkatan Test Silver Anda"),
                ("Alice Tester", "Alice Tester, keep your Test Silver tier"),
            ],
            "Bob earned enough to keep his tier",
        )
        mail = self.mails(self.alice, "keep")
        self.assertIn("Earn <strong>100</strong> more points", mail.body_html)
        self.company.pr_tier_reminder_days = 0
        self.member(self.alice).sudo().reminded_review_date = False
        with freeze_time("2025-12-21"):
            self.tell_tiers()
        self.assertEqual(len(self.mails(self.alice, "keep")), 1, "turned off")

    # ------------------------------------------------------------
    # SPEED
    # ------------------------------------------------------------

    def customers(self, size):
        """``size`` new customers with an email, each upgraded to Silver."""
        customers = self.env["res.partner"].create(
            [{"name": f"Customer {size}-{index}", "email": f"c{size}-{index}@example.com"} for index in range(size)]
        )
        self.Ledger._post_movements(
            [{"partner_id": partner.id, "kind": "earn", "points": 600} for partner in customers]
        )
        self.env.invalidate_all()
        return customers

    def test_cron_queries_do_not_grow_with_the_customers(self):
        self.env["pr.reward"].create({"name": "Free coffee", "kind": "gift", "points_cost": 100})
        with freeze_time("2025-01-10"):
            self.customers(1)
        with freeze_time("2025-12-20"):
            self.remind_expiry()  # warms the caches up
            self.tell_tiers()
        expiry_counts, tier_counts = [], []
        for size in (5, 50):
            with freeze_time("2025-01-10"):
                customers = self.customers(size)
            with freeze_time("2025-12-20"):
                before = self.env.cr.sql_log_count
                self.remind_expiry()
                expiry_counts.append(self.env.cr.sql_log_count - before)
            with freeze_time("2025-01-11"):
                before = self.env.cr.sql_log_count
                self.tell_tiers()
                tier_counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(len(self.mails(customers, "expire")), size)
            self.assertEqual(len(self.mails(customers, "welcome")), size)
        self.assertEqual(expiry_counts[0], expiry_counts[1], f"expiry reminders: {expiry_counts}")
        self.assertEqual(tier_counts[0], tier_counts[1], f"tier news: {tier_counts}")
