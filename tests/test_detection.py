import importlib.util
from pathlib import Path

from odoo import Command
from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestDetection(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Coffee beans", "list_price": 100.0, "type": "consu", "invoice_policy": "order"}
        )
        cls.premium = cls.env["product.product"].create(
            {"name": "Barista course", "list_price": 300.0, "type": "service", "pr_premium": True}
        )
        cls.renewal = cls.env["product.product"].create(
            {"name": "Coffee club renewal", "list_price": 50.0, "type": "service", "pr_renewal": True}
        )

    def order(self, partner, *products, confirm=True):
        return self.sale_order(
            partner, *({"product_id": p.id, "product_uom_qty": 1} for p in products), confirm=confirm
        )

    def events_of(self, partner):
        return self.Event.search([("partner_id", "=", partner.id)])

    def test_confirmed_orders_record_purchases_first_premium_and_renewal(self):
        first = self.order(self.alice, self.product)
        codes = sorted(e.behavior_id.code for e in self.events_of(self.alice))
        self.assertEqual(codes, ["first_purchase", "purchase"])
        purchase = self.events_of(self.alice).filtered(lambda e: e.behavior_id == self.b_purchase)
        self.assertEqual(purchase.value, 100.0)
        self.assertEqual(purchase.source_ref, first)
        self.order(self.alice, self.premium, self.renewal)
        codes = sorted(e.behavior_id.code for e in self.events_of(self.alice))
        self.assertEqual(codes, ["first_purchase", "premium_upgrade", "purchase", "purchase", "renewal"])
        draft = self.order(self.bob, self.product, confirm=False)
        self.assertFalse(self.events_of(self.bob))
        draft.action_confirm()
        draft.action_cancel()
        draft.action_draft()
        draft.action_confirm()  # confirmed twice: counted once
        self.run_later()
        self.assertEqual(len(self.events_of(self.bob).filtered(lambda e: e.behavior_id == self.b_purchase)), 1)

    def test_flags_set_after_orders_were_confirmed_count_at_once(self):
        self.premium.pr_premium = False
        self.renewal.pr_renewal = False
        self.order(self.alice, self.premium, self.renewal)  # no product flagged: the rules search nothing
        self.assertFalse(
            self.events_of(self.alice).filtered(
                lambda e: e.behavior_id.code != "purchase" and e.behavior_id.code != "first_purchase"
            )
        )
        self.renewal.pr_renewal = True
        self.order(self.alice, self.renewal)
        self.assertIn("renewal", self.events_of(self.alice).behavior_id.mapped("code"))
        category = self.env["product.category"].create({"name": "Workshops"})
        self.premium.categ_id = category
        category.pr_premium = True
        self.order(self.bob, self.premium)
        self.assertIn("premium_upgrade", self.events_of(self.bob).behavior_id.mapped("code"))

    def test_purchase_points_wait_for_payment_and_credit_notes_take_them_back(self):
        self.Rule.create(
            {
                "name": "Spend",
                "behavior_id": self.b_purchase.id,
                "points_mode": "per_currency",
                "release": "policy",
                "apply_multiplier": False,
            }
        )
        order = self.order(self.alice, self.product, self.product)
        self.process()
        self.assertBalances(self.alice, 0, pending=200)
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {}
        )._create_payments()
        self.settle()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertBalances(self.alice, 200, pending=0, lifetime=200)
        refund = invoice._reverse_moves([{"ref": "return"}])
        refund.write({"invoice_line_ids": [Command.delete(refund.invoice_line_ids[0].id)]})  # half comes back
        refund.action_post()
        self.settle()
        self.assertBalances(self.alice, 100, lifetime=100)
        refund.button_draft()
        refund.action_post()  # posted again: never taken back twice
        self.settle()
        self.assertBalances(self.alice, 100, lifetime=100)

    def test_the_shipped_newsletter_rule_loses_its_filter_by_migration(self):
        path = Path(__file__).parent.parent / "migrations" / "19.0.1.0.4" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("pr_post_migrate_19_0_1_0_4", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        rule = self.env.ref("positive_reinforcement.automation_newsletter_subscribed")
        self.assertFalse(rule.filter_domain, "the action records only the contacts still subscribed")
        rule.filter_domain = migration.OLD_FILTER
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.0.3")
        rule.invalidate_recordset(["filter_domain"])
        self.assertFalse(rule.filter_domain)
        chosen = "[('subscription_ids.list_id.name', '=', 'Coffee news')]"
        rule.filter_domain = chosen
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.0.3")
        rule.invalidate_recordset(["filter_domain"])
        self.assertEqual(rule.filter_domain, chosen, "a filter an administrator chose stays")

    def test_newsletter_subscription_once_and_taken_back_on_unsubscription(self):
        self.Rule.create({"name": "News", "behavior_id": self.b_newsletter.id, "points": 25})
        mailing_list = self.env["mailing.list"].create({"name": "Coffee news"})
        other_list = self.env["mailing.list"].create({"name": "Offers"})
        contact = self.env["mailing.contact"].create(
            {"name": "Alice", "email": "Alice <ALICE@example.com>", "list_ids": [Command.link(mailing_list.id)]}
        )
        contact.write({"list_ids": [Command.link(other_list.id)]})
        self.assertFalse(self.events_of(self.alice), "recorded moments later, out of the subscriber's transaction")
        self.run_later()
        self.process()
        self.assertEqual(len(self.events_of(self.alice)), 1)
        self.assertBalances(self.alice, 25)
        subscriptions = self.env["mailing.subscription"].search([("contact_id", "=", contact.id)])
        self.assertEqual(len(subscriptions), 2)
        subscriptions[0].opt_out = True
        self.assertBalances(self.alice, 25)  # still subscribed to the other list
        subscriptions[1].opt_out = True
        self.assertBalances(self.alice, 0)

    def test_an_archived_newsletter_behaviour_records_nothing_until_it_is_back(self):
        mailing_list = self.env["mailing.list"].create({"name": "Coffee news"})
        subscriber = {"name": "Alice", "email": "alice@example.com", "list_ids": [Command.link(mailing_list.id)]}
        self.b_newsletter.action_archive()
        self.env["mailing.contact"].create(subscriber)
        self.run_later()
        self.assertFalse(self.events_of(self.alice))
        self.b_newsletter.action_unarchive()
        self.env["mailing.contact"].create(subscriber)
        self.run_later()
        self.assertEqual(self.events_of(self.alice).behavior_id, self.b_newsletter)

    def test_an_anonymous_visitor_rating_is_neither_a_review_nor_feedback(self):
        public_user = self.env.ref("base.public_user")
        visitor = self.env(user=public_user, su=True)
        rating = visitor["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.bob.id,
                "consumed": True,
                "partner_id": public_user.partner_id.id,
                "rating": 5,
                "feedback": "Lovely coffee",
            }
        )
        self.assertTrue(rating.pr_customer_rated)
        self.run_later()
        self.assertFalse(self.events_of(public_user.partner_id))
        self.assertFalse(
            self.env["pr.feedback"].search([("source_model", "=", "rating.rating"), ("source_id", "=", rating.id)])
        )

    def test_positive_rating_with_comment_is_a_review(self):
        model_id = self.env["ir.model"]._get_id("res.partner")
        base = {"res_model_id": model_id, "res_id": self.bob.id, "consumed": True}
        # As the customer's routes do (the rating link, the portal): sudo on behalf of a visitor.
        customer = self.env(user=self.env.ref("base.public_user"), su=True)
        customer["rating.rating"].create(
            [
                {**base, "partner_id": self.alice.id, "rating": 5, "feedback": "Lovely coffee"},
                {**base, "partner_id": self.bob.id, "rating": 5},
                {**base, "partner_id": self.bob.id, "rating": 2, "feedback": "Cold"},
            ]
        )
        self.assertFalse(self.events_of(self.alice), "recorded moments later, out of the customer's transaction")
        self.run_later()
        self.assertEqual(self.events_of(self.alice).behavior_id, self.b_review)
        self.assertFalse(self.events_of(self.bob))

    def test_surveys_feedback_and_testimonials(self):
        survey = self.env["survey.survey"].create({"title": "How was it?", "pr_feedback": True})
        answer = survey._create_answer(partner=self.alice)
        answer._mark_done()
        self.assertEqual(self.events_of(self.alice).behavior_id, self.b_feedback)
        answer.pr_testimonial = True
        self.assertEqual(sorted(e.behavior_id.code for e in self.events_of(self.alice)), ["feedback", "review"])

    def test_any_automated_rule_can_record_a_behaviour(self):
        automation = self.env["base.automation"].create(
            {
                "name": "Won opportunities are referrals",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "trigger": "on_create",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Record a referral",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "base_automation_id": automation.id,
                "usage": "base_automation",
                "state": "pr_behavior",
                "pr_behavior_id": self.env.ref("positive_reinforcement.pr_behavior_referral").id,
                "pr_partner_path": "partner_id",
                "pr_value_path": "expected_revenue",
            }
        )
        self.env["crm.lead"].create({"name": "Friend of Alice", "partner_id": self.alice.id, "expected_revenue": 900})
        event = self.events_of(self.alice)
        self.assertEqual(event.behavior_id.code, "referral")
        self.assertEqual(event.value, 900)
        self.assertEqual(event.source_model, "crm.lead")

    def test_replay_history_rewards_the_past_once(self):
        self.Rule.create({"name": "Welcome", "behavior_id": self.b_first.id, "points": 200})
        self.env.ref("positive_reinforcement.automation_sale_order_confirmed").active = False
        self.order(self.alice, self.product)
        self.order(self.alice, self.product)
        self.env.ref("positive_reinforcement.automation_sale_order_confirmed").active = True
        self.assertFalse(self.events_of(self.alice))
        wizard = self.env["pr.replay.history"].with_user(self.manager).create({})
        wizard.action_replay()
        wizard.action_replay()
        self.assertEqual(
            sorted(e.behavior_id.code for e in self.events_of(self.alice)), ["first_purchase", "purchase", "purchase"]
        )
        self.assertBalances(self.alice, 200)
