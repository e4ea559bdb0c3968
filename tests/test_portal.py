from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .test_tours import screenshot_at_end


@tagged("post_install", "-at_install")
class TestPortal(HttpCase):
    """My Rewards as a customer sees it: their own data only, and nothing written on forged input."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["pr.tier"].search([]).action_archive()
        cls.env["pr.tier"].create({"name": "Portal Bronze", "min_points": 0})
        cls.env["pr.tier"].create({"name": "Portal Silver", "min_points": 400})
        cls.env["pr.tier"].create({"name": "Portal Gold", "min_points": 2000})
        cls.portal_user = new_test_user(cls.env, login="pr_portal", groups="base.group_portal", name="Paula Portal")
        cls.other_user = new_test_user(cls.env, login="pr_portal2", groups="base.group_portal", name="Otto Other")
        cls.paula = cls.portal_user.partner_id
        cls.otto = cls.other_user.partner_id
        cls.mug = cls.env["pr.reward"].create({"name": "Portal mug", "kind": "gift", "points_cost": 200})
        cls.other_company = cls.env["res.company"].create({"name": "Elsewhere Roasters"})
        cls.foreign = cls.env["pr.reward"].create(
            {"name": "Foreign hat", "kind": "gift", "points_cost": 10, "company_id": cls.other_company.id}
        )
        cls.Ledger = cls.env["pr.ledger.entry"]
        cls.Ledger._post_movements([{"partner_id": cls.paula.id, "points": 500, "kind": "earn", "reason": "Welcome"}])
        cls.Ledger._post_movements(
            [{"partner_id": cls.otto.id, "points": 900, "kind": "earn", "reason": "Otto secret"}]
        )

    def redemptions(self, partner):
        return self.env["pr.redemption"].search([("partner_id", "=", partner.id)])

    def post_form(self, url, data):
        return self.url_open(url, data={"csrf_token": self.csrf_token(), **data}, allow_redirects=True)

    def csrf_token(self):
        page = self.url_open("/my/rewards").text
        return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    def test_page_shows_own_data_only(self):
        self.authenticate("pr_portal", "pr_portal")
        page = self.url_open("/my/rewards")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Portal mug", page.text)
        self.assertIn("Welcome", page.text)
        self.assertIn("Portal Silver", page.text)
        self.assertIn(self.paula.pr_referral_code, page.text)
        self.assertNotIn("Otto secret", page.text)
        self.assertNotIn(self.otto.pr_referral_code, page.text)
        self.assertNotIn("Foreign hat", page.text)
        home = self.url_open("/my/home")
        self.assertIn("/my/rewards", home.text)

    def test_page_queries_do_not_grow_with_history(self):
        self.authenticate("pr_portal", "pr_portal")
        self.url_open("/my/rewards")  # warm the caches (templates, assets)
        with self.assertQueryCount(30):
            self.url_open("/my/rewards")
        self.Ledger._post_movements(
            [{"partner_id": self.paula.id, "points": 1, "kind": "earn", "reason": f"Visit {i}"} for i in range(120)]
        )
        with self.assertQueryCount(30):
            page = self.url_open("/my/rewards/page/2")
        self.assertIn("Visit", page.text)

    def test_redeem_once_even_when_submitted_twice(self):
        self.authenticate("pr_portal", "pr_portal")
        data = {"reward_id": self.mug.id, "token": "same-form", "partner_id": self.otto.id}
        first = self.post_form("/my/rewards/redeem", data)
        self.assertIn("You redeemed Portal mug", first.text)
        self.post_form("/my/rewards/redeem", data)
        self.assertEqual(len(self.redemptions(self.paula)), 1, "a double submission redeems once")
        self.assertFalse(self.redemptions(self.otto), "a forged partner id is ignored")
        self.assertEqual(self.paula.pr_points_available, 300)

    def test_forged_and_invalid_posts_write_nothing(self):
        self.authenticate("pr_portal", "pr_portal")
        page = self.post_form("/my/rewards/redeem", {"reward_id": self.foreign.id, "token": "t1"})
        self.assertIn("This reward is not available", page.text)
        expensive = self.env["pr.reward"].create({"name": "Espresso machine", "kind": "gift", "points_cost": 5000})
        page = self.post_form("/my/rewards/redeem", {"reward_id": expensive.id, "token": "t2"})
        self.assertIn("costs 5000 points", page.text)
        self.assertEqual(self.post_form("/my/rewards/redeem", {"reward_id": "-3", "token": "t3"}).status_code, 404)
        with mute_logger("odoo.http"):
            missing_csrf = self.url_open("/my/rewards/redeem", data={"reward_id": self.mug.id, "token": "t4"})
        self.assertEqual(missing_csrf.status_code, 400)
        self.assertFalse(self.redemptions(self.paula))
        self.assertEqual(self.paula.pr_points_available, 500)

    def test_public_visitors_are_sent_to_sign_in(self):
        page = self.url_open("/my/rewards", allow_redirects=False)
        self.assertIn(page.status_code, (302, 303))
        self.assertIn("/web/login", page.headers["Location"])

    def test_invite_a_friend_from_the_portal(self):
        self.authenticate("pr_portal", "pr_portal")
        page = self.post_form("/my/rewards/invite", {"name": "Fiona", "email": "fiona@example.com"})
        self.assertIn("Your invitation is on its way", page.text)
        referral = self.env["pr.referral"].search([("friend_email", "=", "fiona@example.com")])
        self.assertEqual(referral.referrer_id, self.paula)
        page = self.post_form("/my/rewards/invite", {"name": "Self", "email": self.paula.email or "x"})
        self.assertIn("alert-danger", page.text)

    def test_portal_tour_redeems_a_reward(self):
        with screenshot_at_end("portal_en"):
            self.start_tour("/my/home", "pr_portal_rewards", login="pr_portal")
        self.assertEqual(len(self.redemptions(self.paula)), 1)

    def test_another_customers_redemption_is_not_found(self):
        mine = self.mug._redeem(self.paula, "mine")
        theirs = self.mug._redeem(self.otto, "theirs")
        self.authenticate("pr_portal", "pr_portal")
        page = self.url_open(f"/my/rewards/redemption/{mine.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Portal mug", page.text)
        self.assertEqual(self.url_open(f"/my/rewards/redemption/{theirs.id}").status_code, 404)
        self.assertEqual(self.url_open("/my/rewards/redemption/999999999").status_code, 404)

    def test_leaderboard_only_for_those_who_opt_in(self):
        self.otto.pr_leaderboard_opt_in = True
        self.authenticate("pr_portal", "pr_portal")
        page = self.url_open("/my/rewards")
        self.assertIn("Join the leaderboard", page.text)
        self.assertNotIn("Otto Other", page.text, "no leaderboard before opting in")
        page = self.post_form("/my/rewards/leaderboard", {"opt_in": "1"})
        self.assertTrue(self.paula.pr_leaderboard_opt_in)
        self.assertIn("Otto Other", page.text)
        self.assertIn("Paula Portal", page.text)
        self.post_form("/my/rewards/leaderboard", {"opt_in": "0"})
        self.assertFalse(self.paula.pr_leaderboard_opt_in)

    def test_badges_and_feedback_are_shown(self):
        badge = self.env["pr.badge"].create(
            {
                "name": "Portal Pioneer",
                "criterion": "tier",
                "tier_id": self.env["pr.tier"].search([("name", "=", "Portal Silver")]).id,
            }
        )
        badge._grant(self.paula)
        self.env["pr.feedback"].create(
            {
                "partner_id": self.paula.id,
                "contact_id": self.paula.id,
                "metric": "nps",
                "score": 9,
                "comment": "Lovely beans",
                "source_model": "test",
                "source_id": 1,
            }
        )
        self.authenticate("pr_portal", "pr_portal")
        page = self.url_open("/my/rewards")
        self.assertIn("Portal Pioneer", page.text)
        self.assertIn("Lovely beans", page.text)

    def test_early_access_products_shown_to_entitled_customers_only(self):
        silver = self.env["pr.tier"].search([("name", "=", "Portal Silver")])
        gold = self.env["pr.tier"].search([("name", "=", "Portal Gold")])
        public = {"pr_public_date": fields.Date.today() + timedelta(days=30), "list_price": 40.0}
        self.env["product.template"].create({"name": "Silver preview blend", "pr_early_tier_id": silver.id, **public})
        self.env["product.template"].create({"name": "Gold reserve lot", "pr_early_tier_id": gold.id, **public})
        self.authenticate("pr_portal", "pr_portal")
        page = self.url_open("/my/rewards").text
        self.assertIn("Silver preview blend", page)
        self.assertNotIn("Gold reserve lot", page, "Paula is silver: not yet entitled to the gold preview")

    def test_an_expired_session_redeems_nothing(self):
        self.authenticate("pr_portal", "pr_portal")
        token = self.csrf_token()
        self.authenticate(None, None)  # the session is gone: a visitor now
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/my/rewards/redeem",
                data={"csrf_token": token, "reward_id": self.mug.id, "token": "late"},
                allow_redirects=False,
            )
        self.assertIn(response.status_code, (303, 400))
        self.assertFalse(self.redemptions(self.paula))

    def test_public_survey_links_reveal_no_other_customer(self):
        survey = self.env.ref("positive_reinforcement.pr_survey_nps")
        answers = survey._pr_invite(self.paula | self.otto, self.env.company)
        paula_answer = answers.filtered(lambda a: a.partner_id == self.paula)
        self.authenticate(None, None)
        pages = {
            "no token": f"/survey/start/{survey.access_token}",
            "forged token": f"/survey/start/{survey.access_token}?answer_token=not-a-real-token",
            "Paula's link": f"/survey/start/{survey.access_token}?answer_token={paula_answer.access_token}",
        }
        for label, url in pages.items():
            page = self.url_open(url)
            self.assertLess(page.status_code, 500, label)
            self.assertNotIn("Otto Other", page.text, label)
            self.assertNotIn(self.otto.email or "otto", page.text, label)
