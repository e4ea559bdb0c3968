from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestBadges(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["pr.badge"].search([]).action_archive()
        cls.Rule.create(
            [
                {"name": "Review thanks", "behavior_id": cls.b_review.id, "points": 10},
                {"name": "Social thanks", "behavior_id": cls.b_social.id, "points": 5},
            ]
        )
        cls.Badge = cls.env["pr.badge"]
        cls.Grant = cls.env["pr.badge.grant"]
        cls.carol = cls.env["res.partner"].create({"name": "Carol Tester", "email": "carol@example.com"})
        cls.kopi = cls.env["res.partner"].create({"name": "Kopi Ltd", "is_company": True})
        cls.dewi, cls.eko = cls.env["res.partner"].create(
            [
                {"name": "Dewi at Kopi", "parent_id": cls.kopi.id, "email": "dewi@kopi.example.com"},
                {"name": "Eko at Kopi", "parent_id": cls.kopi.id, "email": "eko@kopi.example.com"},
            ]
        )
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 80.0})

    def badge(self, **values):
        return self.Badge.create({"name": "Reviewer", "behavior_id": self.b_review.id, "threshold": 3, **values})

    def reviews(self, partner, count, behavior=None):
        behavior = behavior or self.b_review
        return self.process(
            self.Event.create([{"partner_id": partner.id, "behavior_id": behavior.id} for _index in range(count)])
        )

    def grant(self, partners=None):
        """The new grants of this test's customers: the other customers of the database are no concern here."""
        return self.Badge._grant_badges(partners).filtered(lambda grant: grant.partner_id in self.partners())

    def partners(self):
        return self.alice | self.bob | self.carol | self.kopi | self.dewi | self.eko

    def holders(self, badge):
        return self.Grant.search([("badge_id", "=", badge.id)]).partner_id & self.partners()

    # ------------------------------------------------------------
    # CRITERIA
    # ------------------------------------------------------------

    def test_behavior_badge_counts_processed_events_once(self):
        badge = self.badge()
        self.reviews(self.alice, 3)
        self.reviews(self.bob, 2)
        self.event(self.bob, self.b_review)  # pending: does not count yet
        self.reviews(self.carol, 3, self.b_social)
        grants = self.grant()
        self.assertEqual(grants.partner_id, self.alice)
        self.assertEqual((grants.badge_id, grants.company_id), (badge, self.company))
        self.assertFalse(self.grant(), "running again grants nothing twice")
        self.process()
        self.assertEqual(self.grant().partner_id, self.bob)
        self.assertEqual(self.holders(badge), self.alice | self.bob)
        self.assertEqual(self.alice.pr_badge_grant_ids.badge_id, badge)
        self.assertEqual(self.alice.pr_badge_count, 1)

    def test_tier_badge_for_the_tier_and_above(self):
        badge = self.badge(name="Silver Member", criterion="tier", tier_id=self.silver.id, behavior_id=False)
        self.post(self.alice, 600)
        self.post(self.bob, 2000)
        self.post(self.carol, 100)
        self.assertEqual(self.grant().partner_id, self.alice | self.bob)
        self.assertFalse(self.grant())
        self.assertEqual(self.holders(badge), self.alice | self.bob)

    def test_referral_badge_counts_qualified_referrals(self):
        badge = self.badge(name="Ambassador", criterion="referrals", threshold=2, behavior_id=False)
        friends = self.env["res.partner"].create([{"name": f"Friend {i}"} for i in range(5)])
        states = [
            (self.alice, "qualified"),
            (self.alice, "rewarded"),
            (self.bob, "qualified"),
            (self.bob, "review"),
            (self.bob, "rejected"),
        ]
        self.env["pr.referral"].create(
            [
                {"referrer_id": referrer.id, "friend_partner_id": friend.id, "state": state}
                for (referrer, state), friend in zip(states, friends, strict=True)
            ]
        )
        self.assertEqual(self.grant().partner_id, self.alice)
        self.assertFalse(self.grant())
        self.assertEqual(self.holders(badge), self.alice)

    def test_anniversary_badge_counts_from_the_first_confirmed_order_of_the_company(self):
        badge = self.badge(name="One Year With Us", criterion="anniversary", threshold=1, behavior_id=False)
        now = fields.Datetime.now()
        # Kopi's first order, by Dewi, is two years old; Eko's own order is recent.
        self.order(self.dewi, now - relativedelta(years=2))
        self.order(self.eko, now - relativedelta(days=10))
        self.order(self.alice, now - relativedelta(months=11))
        self.order(self.bob, now - relativedelta(years=3), confirm=False)
        self.assertEqual(self.grant().partner_id, self.kopi)
        self.assertFalse(self.grant())
        self.assertEqual(self.holders(badge), self.kopi)

    def order(self, partner, date, confirm=True):
        return self.sale_order(
            partner, {"product_id": self.product.id, "product_uom_qty": 1}, confirm=confirm, date=date
        )

    def test_contacts_roll_up_to_their_commercial_entity(self):
        self.badge()
        self.reviews(self.dewi, 2)
        self.reviews(self.eko, 2)
        grants = self.grant()
        self.assertEqual(grants.partner_id, self.kopi)
        self.assertEqual(self.dewi.pr_badge_grant_ids, grants, "contacts see their company's badges")
        self.assertEqual(self.kopi.pr_badge_count, 1)

    def test_each_contact_holds_its_badges_when_wallets_are_per_contact(self):
        self.company.pr_wallet_mode = "contact"
        self.badge(threshold=2)
        self.reviews(self.dewi, 2)
        self.reviews(self.eko, 1)
        self.assertEqual(self.grant().partner_id, self.dewi)
        self.assertFalse(self.eko.pr_badge_grant_ids)

    def test_granting_for_given_customers_only(self):
        badge = self.badge()
        self.reviews(self.alice, 3)
        self.reviews(self.dewi, 3)
        self.assertEqual(self.grant(self.bob | self.dewi).partner_id, self.kopi)
        self.assertEqual(self.grant(self.alice).partner_id, self.alice)
        self.assertEqual(self.holders(badge), self.alice | self.kopi)

    def test_badge_of_another_company_is_granted_there_only(self):
        other = self.env["res.company"].create({"name": "Other Company"})
        self.badge(company_id=other.id)
        self.reviews(self.alice, 3)
        self.assertFalse(self.grant())

    def test_bad_badges_are_refused_and_write_nothing(self):
        count = self.Badge.with_context(active_test=False).search_count([])
        granted = self.Grant.search_count([])
        cases = [
            ({"threshold": 0}, "count of at least 1"),
            ({"threshold": -2, "criterion": "referrals"}, "count of at least 1"),
            ({"threshold": 0, "criterion": "anniversary"}, "at least 1 year"),
            ({"behavior_id": False}, "needs a behaviour"),
            ({"criterion": "tier"}, "needs a tier"),
        ]
        for values, message in cases:
            with self.subTest(message), self.assertRaises(ValidationError) as caught:
                self.badge(**values)
            self.assertIn(message, str(caught.exception))
        self.assertEqual(self.Badge.with_context(active_test=False).search_count([]), count)
        badge = self.badge()
        with self.assertRaises(ValidationError):
            badge.threshold = 0
        badge.invalidate_recordset()
        self.assertEqual(badge.threshold, 3)
        self.assertEqual(self.Grant.search_count([]), granted)

    # ------------------------------------------------------------
    # EMAILS, CHATTER, BUTTON, CRON
    # ------------------------------------------------------------

    def test_email_in_the_customer_language_and_a_note_in_the_chatter(self):
        self.env["res.lang"]._activate_lang("id_ID")
        self.alice.lang = "id_ID"
        badge = self.badge()
        badge.with_context(lang="id_ID").name = "Pengulas"
        self.reviews(self.alice, 3)
        self.reviews(self.bob, 3)
        grants = self.grant()
        mails = self.env["mail.mail"].search([("model", "=", "pr.badge.grant"), ("res_id", "in", grants.ids)])
        subjects = {mail.recipient_ids: mail.subject for mail in mails}
        self.assertEqual(
            subjects, {self.alice: "You earned a badge: Pengulas", self.bob: "You earned a badge: Reviewer"}
        )
        note = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.bob.id),
                ("body", "ilike", "Earned the badge Reviewer."),
            ]
        )
        self.assertEqual(len(note), 1)

    def test_badge_can_send_its_own_email(self):
        template = self.env["mail.template"].create(
            {
                "name": "Ambassador email",
                "model_id": self.env["ir.model"]._get_id("pr.badge.grant"),
                "subject": "Bravo {{ object.partner_id.name }}",
                "partner_to": "{{ object.partner_id.id }}",
                "body_html": "<p>Bravo</p>",
            }
        )
        self.badge(mail_template_id=template.id)
        self.reviews(self.alice, 3)
        grant = self.grant()
        mail = self.env["mail.mail"].search([("model", "=", "pr.badge.grant"), ("res_id", "=", grant.id)])
        self.assertEqual(mail.subject, "Bravo Alice Tester")

    def test_grant_now_is_for_managers(self):
        badge = self.badge()
        self.reviews(self.alice, 3)
        with self.assertRaises(AccessError):
            badge.with_user(self.user).action_grant_now()
        action = badge.with_user(self.manager).action_grant_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.holders(badge), self.alice)
        self.assertEqual(badge.with_user(self.manager).action_grant_now()["params"]["type"], "info")
        grant = self.Grant.search([("badge_id", "=", badge.id)])
        with self.assertRaises(AccessError):
            grant.with_user(self.user).unlink()
        grant.with_user(self.manager).unlink()
        self.assertFalse(grant.exists())

    def test_cron_grants_every_badge(self):
        reviewer = self.badge()
        fan = self.badge(name="Fan", behavior_id=self.b_social.id, threshold=1)
        self.reviews(self.alice, 3)
        self.reviews(self.bob, 1, self.b_social)
        self.run_cron()
        self.assertEqual(self.holders(reviewer), self.alice)
        self.assertEqual(self.holders(fan), self.bob)

    def test_cron_queries_do_not_grow_with_the_customers(self):
        self.badge(name="Fan", behavior_id=self.b_social.id, threshold=1)
        self.badge(name="Silver", criterion="tier", tier_id=self.silver.id, behavior_id=False)
        self.badge(name="Ambassador", criterion="referrals", threshold=1, behavior_id=False)
        self.badge(name="Loyal", criterion="anniversary", threshold=1, behavior_id=False)
        self.fans(1)
        self.run_cron()  # warms the caches up
        counts = []
        for size in (5, 50):
            fans = self.fans(size)
            before = self.env.cr.sql_log_count
            with self.assertQueryCount(70):
                self.run_cron()
            counts.append(self.env.cr.sql_log_count - before)
            # Each fan earned two badges (the social one and the tier one), with an email each.
            self.assertEqual(self.Grant.search_count([("partner_id", "in", fans.ids)]), 2 * size)
            mails = self.env["mail.mail"].search([("model", "=", "pr.badge.grant"), ("recipient_ids", "in", fans.ids)])
            self.assertEqual(len(mails), 2 * size)
        self.assertEqual(counts[0], counts[1], f"5 customers took {counts[0]} queries, 50 took {counts[1]}")

    def fans(self, size):
        """``size`` new customers, each with a social media post and 600 points."""
        fans = self.env["res.partner"].create([{"name": f"Fan {size}-{index}"} for index in range(size)])
        self.process(self.Event.create([{"partner_id": fan.id, "behavior_id": self.b_social.id} for fan in fans]))
        self.Ledger._post_movements([{"partner_id": fan.id, "kind": "earn", "points": 600} for fan in fans])
        self.env.invalidate_all()
        return fans

    def run_cron(self):
        with self.enter_registry_test_mode():
            self.env.ref("positive_reinforcement.ir_cron_grant_badges").method_direct_trigger()

    # ------------------------------------------------------------
    # LEADERBOARD
    # ------------------------------------------------------------

    def test_leaderboard_ranks_opted_in_customers_by_points_earned(self):
        self.env["res.partner"].search([("pr_leaderboard_opt_in", "=", True)]).pr_leaderboard_opt_in = False
        (self.alice | self.bob | self.kopi).pr_leaderboard_opt_in = True
        this_month = fields.Date.context_today(self.Ledger).replace(day=1)
        last_month = this_month - relativedelta(months=1)
        before = fields.Datetime.to_datetime(last_month) + relativedelta(days=10)
        self.post(self.alice, 300)
        self.post(self.bob, 500)
        self.post(self.carol, 900)  # not opted in
        self.post(self.dewi, 250)  # counts for Kopi
        self.post(self.eko, 150)
        self.post(self.bob, 100, kind="adjust")  # not earned
        earned = self.post(self.alice, 200, date=before)
        self.Ledger._post_movements([{"reversed_entry_id": earned.id, "points": -50}])  # a return, this month
        self.post(self.alice, -100, kind="redeem")  # spending does not lower the points earned
        self.env.flush_all()
        Board = self.env["pr.leaderboard"].with_user(self.user)
        rows = Board.search([("company_id", "=", self.company.id), ("partner_id", "in", self.partners().ids)])
        self.assertEqual(
            [(row.month, row.partner_id, row.points, row.rank) for row in rows],
            [
                (this_month, self.bob, 500, 1),
                (this_month, self.kopi, 400, 2),
                (this_month, self.alice, 300, 3),
                (last_month, self.alice, 150, 1),
            ],
        )
        top = Board._top(self.company, fields.Date.context_today(Board), limit=2)
        self.assertEqual(top.partner_id, self.bob | self.kopi)
        self.assertEqual(Board._top(self.company, last_month).partner_id, self.alice)


@tagged("post_install", "-at_install")
class TestBadgeScreens(HttpCase):
    def test_badge_screens_open_without_error(self):
        customer = self.env["res.partner"].create({"name": "Screen Customer", "pr_leaderboard_opt_in": True})
        self.env["pr.ledger.entry"]._post_movements([{"partner_id": customer.id, "points": 42, "kind": "earn"}])
        badge = self.env["pr.badge"].create(
            {
                "name": "Screen Badge",
                "criterion": "behavior",
                "behavior_id": self.env.ref("positive_reinforcement.pr_behavior_review").id,
            }
        )
        self.env["pr.badge.grant"].create(
            {"badge_id": badge.id, "partner_id": customer.id, "company_id": self.env.company.id}
        )
        self.start_tour(f"/odoo/contacts/{customer.id}", "pr_badge_screens", login="admin")
