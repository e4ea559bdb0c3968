import json
import re

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import PositiveReinforcementCase

# What a refused call must leave exactly as it was.
WATCHED = (
    "pr_ledger_entry",
    "pr_member",
    "pr_event",
    "pr_feedback",
    "pr_surprise_gift",
    "pr_redemption",
    "pr_reward",
    "pr_badge_grant",
    "pr_metric",
    "pr_tier",
    "rating_rating",
    "res_partner",
    "loyalty_card",
)


@tagged("post_install", "-at_install")
class TestGuards(PositiveReinforcementCase, HttpCase):
    """Ratings, metrics, gifts, redemptions, badges, tier simulations and merges, tried as an attacker would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(cls.env, login="guard_portal", groups="base.group_portal")
        cls.employee = new_test_user(cls.env, login="guard_employee", groups="base.group_user")
        cls.attackers = (cls.portal, cls.employee, cls.user)
        cls.company.pr_surprise_budget = 100.0
        cls.Gift = cls.env["pr.surprise.gift"]
        cls.Rating = cls.env["rating.rating"]
        cls.partner_model = cls.env["ir.model"]._get_id("res.partner")
        cls.other_company = cls.env["res.company"].create({"name": "Guarded Elsewhere"})

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def snapshot(self):
        """A digest of every watched table: a refusal that wrote anything changes it."""
        self.env.flush_all()
        digests = {}
        for table in WATCHED:
            self.env.cr.execute(
                SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM %s t",
                    SQL.identifier(table),
                )
            )
            digests[table] = self.env.cr.fetchone()
        return digests

    def assertRefused(self, exception, func, message=None):
        """``func`` raises ``exception`` (with ``message``) and leaves every watched table as it was."""
        before = self.snapshot()
        with self.assertRaises(exception) as caught:
            func()
            self.env.flush_all()
        if message:
            self.assertIn(message, str(caught.exception))
        self.env.invalidate_all()
        after = self.snapshot()
        self.assertEqual([t for t in WATCHED if after[t] != before[t]], [], "a refused call wrote nothing")
        return caught.exception

    def call_kw(self, model, method, args):
        """Call ``model.method(*args)`` over ``/web/dataset/call_kw`` with the session of the test's opener."""
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"model": model, "method": method, "args": args, "kwargs": {}},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def assertRefusedOverHttp(self, model, method, args):
        before = self.snapshot()
        with mute_logger("odoo.http"):
            answer = self.call_kw(model, method, args)
        self.assertEqual(answer.get("error", {}).get("data", {}).get("name"), "odoo.exceptions.AccessError", answer)
        self.env.invalidate_all()
        after = self.snapshot()
        self.assertEqual([t for t in WATCHED if after[t] != before[t]], [], "a refused call wrote nothing")

    def rating_request(self, partner):
        """A rating asked of ``partner`` about themselves, not given yet: what a rating email links to."""
        return self.Rating.create({"res_model_id": self.partner_model, "res_id": partner.id, "partner_id": partner.id})

    def rate_through_link(self, rating, rate, feedback):
        """The customer opens the rating link of the email and submits the form, not signed in."""
        page = self.url_open(f"/rate/{rating.access_token}/{rate}")
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text).group(1)
        answer = self.url_open(
            f"/rate/{rating.access_token}/submit_feedback",
            data={"rate": rate, "feedback": feedback, "csrf_token": csrf},
        )
        self.assertEqual(answer.status_code, 200)
        self.env.invalidate_all()

    def reviews_of(self, partner):
        return self.Event.search([("partner_id", "=", partner.id), ("behavior_id", "=", self.b_review.id)])

    def csat_of(self, rating):
        return self.env["pr.feedback"].search([("source_model", "=", "rating.rating"), ("source_id", "=", rating.id)])

    # ------------------------------------------------------------
    # Ratings
    # ------------------------------------------------------------

    def test_ratings_staff_create_or_edit_never_count(self):
        values = {
            "res_model_id": self.partner_model,
            "res_id": self.alice.id,
            "partner_id": self.alice.id,
            "rating": 5,
            "feedback": "Best coffee in town",
            "consumed": True,
        }
        for user in (self.employee, self.user, self.manager):
            ratings = self.Rating.with_user(user).create(values)
            ratings |= self.Rating.with_user(user).sudo().create(values)  # a sudo path run for them
            ratings |= self.rating_request(self.alice)
            ratings[2].with_user(user).write({"rating": 5, "feedback": "Lovely", "consumed": True})
            self.assertFalse(any(ratings.mapped("pr_customer_rated")))
        self.run_later()
        self.assertFalse(self.reviews_of(self.alice), "no review behaviour from a staff rating")
        self.assertFalse(self.env["pr.feedback"].search([("contact_id", "=", self.alice.id)]), "no CSAT either")
        # Applying the customer's token themselves, even through code that runs sudo for them, does not
        # make staff the customer.
        request = self.rating_request(self.bob)
        self.bob.with_user(self.manager).sudo().rating_apply(5, token=request.access_token, feedback="Great")
        self.assertFalse(request.pr_customer_rated)
        self.run_later()
        self.assertFalse(self.reviews_of(self.bob) or self.csat_of(request))

    def test_ratings_the_mark_cannot_be_forged(self):
        rating = self.rating_request(self.alice)
        for user in (self.employee, self.user, self.manager):
            self.assertRefused(
                AccessError, lambda u=user: rating.with_user(u).write({"pr_customer_rated": True, "rating": 5})
            )
            self.assertRefused(
                AccessError,
                lambda u=user: self.Rating.with_user(u).create(
                    {"res_model_id": self.partner_model, "res_id": self.alice.id, "pr_customer_rated": True}
                ),
            )

    def test_ratings_the_customer_link_counts_and_staff_cannot_change_it(self):
        rating = self.rating_request(self.alice)
        self.rate_through_link(rating, 5, "Lovely coffee")
        self.assertTrue(rating.pr_customer_rated)
        self.assertEqual(rating.rating, 5)
        self.run_later()
        self.assertEqual(self.reviews_of(self.alice).source_id, rating.id, "the customer's review is recorded")
        feedback = self.csat_of(rating)
        self.assertEqual((feedback.score, feedback.comment), (5, "Lovely coffee"))
        # A colleague edits the customer's words: the rating is theirs now, and counts for nothing.
        for user in (self.employee, self.user, self.manager):
            rating.with_user(user).write({"rating": 1, "feedback": "Awful, said nobody"})
            self.assertFalse(rating.pr_customer_rated)
        self.run_later()
        self.assertEqual((feedback.score, feedback.comment), (5, "Lovely coffee"), "the CSAT is the customer's")
        self.assertEqual(len(self.reviews_of(self.alice)), 1)
        # The customer rates again through the link: their new answer counts.
        self.rate_through_link(rating, 1, "It arrived cold")
        self.assertTrue(rating.pr_customer_rated)
        self.run_later()
        self.assertEqual((feedback.score, feedback.comment), (1, "It arrived cold"))

    def test_ratings_the_portal_chatter_counts_for_the_customer_only(self):
        # What the portal chatter does: the thread, in sudo, posts the signed-in person's rating.
        customer = self.portal.partner_id
        message = (
            self.alice.with_user(self.portal)
            .sudo()
            .message_post(body="Lovely coffee", rating_value=5, message_type="comment")
        )
        self.assertTrue(message.rating_id.pr_customer_rated)
        self.run_later()
        self.assertEqual(self.reviews_of(customer).source_id, message.rating_id.id)
        self.assertEqual(self.csat_of(message.rating_id).score, 5)
        staff = (
            self.alice.with_user(self.user)
            .sudo()
            .message_post(body="Lovely coffee", rating_value=5, message_type="comment")
        )
        self.assertFalse(staff.rating_id.pr_customer_rated)
        self.run_later()
        self.assertFalse(self.reviews_of(self.user.partner_id) or self.csat_of(staff.rating_id))

    def test_ratings_a_staff_edit_never_turns_into_a_review(self):
        rating = self.rating_request(self.alice)
        self.rate_through_link(rating, 5, "")  # a rating without a comment is not a review
        self.assertTrue(rating.pr_customer_rated)
        self.run_later()
        self.assertFalse(self.reviews_of(self.alice))
        rating.with_user(self.user).write({"feedback": "Great service, five stars!"})
        self.run_later()
        self.assertFalse(self.reviews_of(self.alice), "the comment a colleague adds is no customer review")
        self.assertEqual(self.csat_of(rating).comment, False)

    # ------------------------------------------------------------
    # Metrics
    # ------------------------------------------------------------

    def test_metric_refresh_is_for_managers(self):
        for user in self.attackers:
            self.assertRefused(AccessError, self.env["pr.metric"].with_user(user).action_refresh, "manager")
        self.assertEqual(self.env["pr.metric"].with_user(self.manager).action_refresh()["tag"], "reload")

    def test_metric_refresh_over_http_as_portal(self):
        self.authenticate("guard_portal", "guard_portal")
        self.assertRefusedOverHttp("pr.metric", "action_refresh", [[]])

    # ------------------------------------------------------------
    # Surprise gifts
    # ------------------------------------------------------------

    def gift(self, value=60.0, **values):
        return self.Gift.create({"name": "Coffee hamper", "partner_id": self.alice.id, "value": value, **values})

    def test_gifts_a_user_cannot_approve_by_create_or_write(self):
        Gift = self.Gift.with_user(self.user)
        for values in ({"state": "approved"}, {"state": "sent"}, {"date_approved": "2025-01-01"}):
            self.assertRefused(
                AccessError,
                lambda v=values: Gift.create({"name": "Hamper", "partner_id": self.alice.id, "value": 500.0, **v}),
                "buttons",
            )
        proposal = Gift.create({"name": "Hamper", "partner_id": self.alice.id, "value": 500.0})
        self.assertEqual(proposal.state, "proposed")
        for values in ({"state": "approved"}, {"state": "sent"}, {"approved_by_id": self.manager.id}):
            self.assertRefused(AccessError, lambda v=values: proposal.with_user(self.user).write(v), "buttons")
        for user in self.attackers:
            self.assertRefused(AccessError, proposal.with_user(user).action_approve, "manager")
            self.assertRefused(AccessError, proposal.with_user(user).action_refuse, "manager")
        self.assertEqual(proposal.state, "proposed")

    def test_gifts_approved_stay_within_the_budget(self):
        first, second = self.gift(60.0), self.gift(60.0)
        first.with_user(self.manager).action_approve()
        self.assertRefused(UserError, second.with_user(self.manager).action_approve, "budget")
        # Raising the value of an approved gift, or copying it, does not go around the budget.
        self.assertRefused(UserError, lambda: first.with_user(self.manager).write({"value": 500.0}), "approved")
        self.assertRefused(
            UserError, lambda: first.with_user(self.manager).write({"company_id": self.other_company.id}), "approved"
        )
        copy = first.copy()
        self.assertEqual((copy.state, copy.date_approved, copy.approved_by_id.id), ("proposed", False, False))
        self.assertEqual(first.budget_left, 40.0)
        first.with_user(self.user).action_send()
        self.assertEqual(first.state, "sent")

    def test_gifts_of_another_company_cannot_be_approved(self):
        gift = self.gift(10.0, company_id=self.other_company.id)
        self.assertRefused(AccessError, gift.with_user(self.manager).action_approve)
        self.assertEqual(gift.state, "proposed")

    # ------------------------------------------------------------
    # Redemptions, badges, tier simulation
    # ------------------------------------------------------------

    def redemption(self):
        reward = self.env["pr.reward"].create({"name": "Guarded mug", "kind": "gift", "points_cost": 100})
        self.post(self.alice, 300)
        return reward._redeem(self.alice, "guarded-redemption")

    def test_redemption_cancel_is_for_managers(self):
        redemption = self.redemption()
        self.assertBalances(self.alice, 200)
        for user in self.attackers:
            self.assertRefused(AccessError, redemption.with_user(user).action_cancel, "manager")
        self.assertEqual(redemption.state, "done")
        self.assertBalances(self.alice, 200)
        redemption.with_user(self.manager).action_cancel()
        self.assertEqual(redemption.state, "cancelled")
        self.assertBalances(self.alice, 300)

    def test_redemption_cancel_over_http_as_portal(self):
        redemption = self.redemption()
        self.authenticate("guard_portal", "guard_portal")
        self.assertRefusedOverHttp("pr.redemption", "action_cancel", [redemption.ids])
        self.assertEqual(redemption.state, "done")
        self.assertBalances(self.alice, 200)

    def test_badge_grant_now_needs_a_manager_of_the_badge_company(self):
        self.Rule.create({"name": "Guarded social", "behavior_id": self.b_social.id, "points": 5})
        self.process(self.event(self.alice, self.b_social))
        badge = self.env["pr.badge"].create(
            {"name": "Guarded fan", "criterion": "behavior", "behavior_id": self.b_social.id, "threshold": 1}
        )
        elsewhere = badge.copy({"company_id": self.other_company.id})
        for user in self.attackers:
            self.assertRefused(AccessError, badge.with_user(user).action_grant_now, "manager")
        self.assertRefused(AccessError, elsewhere.with_user(self.manager).action_grant_now)
        self.assertFalse(badge.grant_ids)
        badge.with_user(self.manager).action_grant_now()
        self.assertIn(self.alice, badge.grant_ids.partner_id)

    def test_tier_simulation_for_managers_in_their_companies(self):
        Simulation = self.env["pr.tier.simulation"]
        for user in self.attackers:
            self.assertRefused(AccessError, lambda u=user: Simulation.with_user(u).default_get(["line_ids"]), "manager")
            self.assertRefused(AccessError, lambda u=user: Simulation.with_user(u).create({}))
        manager = Simulation.with_user(self.manager)
        self.assertRefused(
            AccessError,
            lambda: manager.with_context(default_company_id=self.other_company.id).default_get(
                ["company_id", "line_ids"]
            ),
            "companies you are working in",
        )
        self.assertRefused(
            AccessError, lambda: manager.create({"company_id": self.other_company.id}), "companies you are working in"
        )
        simulation = manager.create({})
        self.assertEqual(simulation.company_id, self.company)
        simulation.sudo().company_id = self.other_company
        self.assertRefused(AccessError, simulation.action_simulate)
        self.assertRefused(AccessError, simulation.action_apply)

    # ------------------------------------------------------------
    # Merging contacts
    # ------------------------------------------------------------

    def can_merge_contacts(self, *users):
        """Odoo's merge wants an administrator who reads every contact field (accounting ones too); that
        makes no Positive Reinforcement manager."""
        for user in users:
            user.group_ids |= self.env.ref("base.group_system") | self.env.ref("account.group_account_invoice")

    def merge_as(self, user, *partners, into):
        wizard = self.env["base.partner.merge.automatic.wizard"].with_user(user).create({})
        wizard._merge([p.id for p in partners], into)

    def test_merge_moves_points_only_for_managers_of_their_companies(self):
        self.can_merge_contacts(self.user, self.manager)
        duplicate = self.env["res.partner"].create({"name": "Alice T.", "email": "alice@example.com"})
        self.post(self.alice, 400)
        self.post(duplicate, 300, company_id=self.other_company.id)
        self.assertRefused(UserError, lambda: self.merge_as(self.user, self.alice, duplicate, into=self.alice), "merge")
        self.assertRefused(
            UserError, lambda: self.merge_as(self.manager, self.alice, duplicate, into=self.alice), "every company"
        )
        self.assertTrue(duplicate.exists())
        self.manager.company_ids |= self.other_company
        self.merge_as(self.manager, self.alice, duplicate, into=self.alice)
        self.assertFalse(duplicate.exists())
        self.assertBalances(self.alice, 400)
        moved = self.env["pr.member"].search([("partner_id", "=", self.alice.id)])
        self.assertEqual(len(moved), 2, "the points in the other company follow the contact")

    def test_merge_of_contacts_without_points_is_unchanged(self):
        self.can_merge_contacts(self.user)
        one = self.env["res.partner"].create({"name": "Nina", "email": "nina@example.com"})
        two = self.env["res.partner"].create({"name": "Nina B.", "email": "nina@example.com"})
        self.merge_as(self.user, one, two, into=one)
        self.assertFalse(two.exists())
