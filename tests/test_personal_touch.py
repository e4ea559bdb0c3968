from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestPersonalTouch(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = cls.user
        cls.alice.user_id = cls.account_manager
        cls.company.pr_surprise_budget = 100.0
        cls.Gift = cls.env["pr.surprise.gift"]

    def test_rule_asks_the_account_manager_for_a_handwritten_note(self):
        self.Rule.create(
            {
                "name": "Thanks for the review",
                "behavior_id": self.b_review.id,
                "points": 5,
                "personal_touch": "note",
                "personal_message": "Your kind words made our week.",
            }
        )
        self.process(self.event(self.alice, self.b_review))
        activity = self.alice.activity_ids
        self.assertEqual(
            activity.activity_type_id, self.env.ref("positive_reinforcement.mail_activity_type_pr_thank_you_note")
        )
        self.assertEqual(activity.user_id, self.account_manager)
        self.assertIn("Your kind words made our week.", str(activity.note))
        activity.action_feedback(feedback="Card posted")
        self.assertIn("Card posted", str(self.alice.message_ids[0].body))

    def test_rule_proposes_a_gift_that_a_manager_approves_within_budget(self):
        self.Rule.create(
            {
                "name": "Premium upgrade",
                "behavior_id": self.b_premium.id,
                "points": 5,
                "personal_touch": "gift",
                "gift_name": "Coffee hamper",
                "gift_value": 60.0,
                "personal_message": "Welcome to premium!",
            }
        )
        self.process(self.event(self.alice, self.b_premium) | self.event(self.bob, self.b_premium))
        gifts = self.Gift.search([("rule_id", "!=", False)])
        self.assertEqual(gifts.partner_id, self.alice | self.bob)
        self.assertEqual(set(gifts.mapped("state")), {"proposed"})
        alice_gift = gifts.filtered(lambda g: g.partner_id == self.alice)
        self.assertEqual(alice_gift.activity_ids.user_id, self.account_manager)
        # Both cost 120 against a budget of 100: neither is approved.
        with self.assertRaisesRegex(UserError, "budget"):
            gifts.with_user(self.manager).action_approve()
        self.assertEqual(set(gifts.mapped("state")), {"proposed"})
        with self.assertRaisesRegex(UserError, "manager"):
            alice_gift.with_user(self.user).action_approve()
        alice_gift.with_user(self.manager).action_approve()
        self.assertEqual(alice_gift.budget_left, 40.0)
        alice_gift.with_user(self.account_manager).action_send()
        self.assertEqual(alice_gift.state, "sent")
        self.assertFalse(alice_gift.activity_ids)
        self.assertIn("Coffee hamper", str(self.alice.message_ids[0].body))

    def test_suggestions_pick_engaged_customers_without_recent_reward(self):
        # A company of its own: the demo customers' behaviours are not this test's.
        company = self.env["res.company"].create({"name": "Gift Roasters", "pr_surprise_budget": 100.0})
        self.env.user.company_ids |= company
        self.manager.company_ids |= company
        self.env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        self.Event = self.env["pr.event"]
        self.Gift = self.env["pr.surprise.gift"]
        carol = self.env["res.partner"].create({"name": "Carol Tester", "email": "carol@example.com"})
        for partner, count in ((self.alice, 4), (self.bob, 5), (carol, 1)):
            for day in range(count):
                self.event(partner, self.b_social, date=fields.Datetime.now() - timedelta(days=day + 1))
        self.process()
        self.Gift.create({"name": "Earlier gift", "partner_id": self.bob.id, "value": 10.0})
        wizard = (
            self.env["pr.surprise.suggest"]
            .with_user(self.manager)
            .with_company(company)
            .create({"value": 30.0, "min_events": 3})
        )
        self.assertEqual(wizard.budget_left, 100.0)
        action = wizard.action_suggest()
        gifts = self.Gift.browse(action["domain"][0][2])
        self.assertEqual(gifts.partner_id, self.alice, "Bob got a gift lately; Carol is not engaged enough")
        self.assertEqual(gifts.origin, "suggestion")
        self.assertIn("4 behaviours", gifts.reason)

    def test_spent_budget_proposes_nothing(self):
        spent = self.Gift.create({"name": "Big hamper", "partner_id": self.bob.id, "value": 100.0})
        spent.with_user(self.manager).action_approve()
        self.event(self.alice, self.b_social)
        self.process()
        wizard = self.env["pr.surprise.suggest"].with_user(self.manager).create({"value": 30.0, "min_events": 1})
        count = self.Gift.search_count([])
        with self.assertRaisesRegex(UserError, "budget is spent"):
            wizard.action_suggest()
        self.assertEqual(self.Gift.search_count([]), count)
