from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestRunLater(PositiveReinforcementCase):
    """Confirmed orders, ratings and subscriptions are recorded within the minute after the click, by a cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rating_rule = cls.env.ref("positive_reinforcement.automation_rating_positive")
        cls.newsletter_rule = cls.env.ref("positive_reinforcement.automation_newsletter_subscribed")
        cls.mailing_list = cls.env["mailing.list"].create({"name": "Coffee news"})
        cls.visitor = cls.env(user=cls.env.ref("base.public_user"), su=True)

    def rate(self, partner, rating=5, feedback="Lovely coffee"):
        # As the customer's routes do (the rating link, the portal): sudo on behalf of a visitor.
        return self.visitor["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "partner_id": partner.id,
                "rating": rating,
                "feedback": feedback,
                "consumed": True,
            }
        )

    def subscribe(self, name, email):
        return self.env["mailing.contact"].create(
            {"name": name, "email": email, "list_ids": [Command.link(self.mailing_list.id)]}
        )

    def behaviours_of(self, partner):
        return self.Event.search([("partner_id", "=", partner.id)]).behavior_id

    def csat_of(self, rating):
        return self.env["pr.feedback"].search([("source_model", "=", "rating.rating"), ("source_id", "=", rating.id)])

    def test_the_shipped_rating_and_newsletter_rules_run_moments_later(self):
        self.assertTrue(self.rating_rule.pr_later and self.newsletter_rule.pr_later)
        rating = self.rate(self.alice)
        contact = self.subscribe("Bob", "bob@example.com")
        self.assertTrue(rating.pr_to_record and contact.pr_to_record, "noted in the statements that wrote them")
        self.assertFalse(self.behaviours_of(self.alice) or self.behaviours_of(self.bob) or self.csat_of(rating))
        with self.enter_registry_test_mode():
            self.env.ref("positive_reinforcement.ir_cron_run_later").method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(self.behaviours_of(self.alice), self.b_review)
        self.assertEqual(self.behaviours_of(self.bob), self.b_newsletter)
        self.assertEqual(self.csat_of(rating).score, 5)
        self.assertFalse(rating.pr_to_record or contact.pr_to_record, "done: nothing waits any more")
        # The next run finds nothing, and changes nothing.
        self.run_later()
        self.assertEqual(len(self.Event.search([("partner_id", "in", (self.alice | self.bob).ids)])), 2)

    def test_a_confirmed_order_is_recorded_moments_later_and_a_cancelled_one_not_at_all(self):
        product = self.env["product.product"].create({"name": "Beans", "list_price": 100.0, "type": "consu"})
        orders = self.env["sale.order"].create(
            [
                {"partner_id": partner.id, "order_line": [Command.create({"product_id": product.id})]}
                for partner in (self.alice, self.bob)
            ]
        )
        orders.action_confirm()
        self.assertEqual(orders.pr_to_record, self.env.company, "noted by the statement that confirms them")
        self.assertFalse(self.behaviours_of(self.alice), "nothing while the salesperson waits")
        orders[1]._action_cancel()  # cancelled within the minute: the rule's filter reads it as it is
        self.run_later()
        self.assertEqual(self.behaviours_of(self.alice), self.b_first | self.b_purchase)
        self.assertFalse(self.behaviours_of(self.bob))
        self.assertFalse(orders[0].pr_to_record)

    def test_a_rule_an_administrator_takes_off_later_runs_in_the_transaction_again(self):
        self.rating_rule.pr_later = False
        self.rate(self.alice)
        self.assertEqual(self.behaviours_of(self.alice), self.b_review, "at once, as any rule of Odoo")
        self.rating_rule.pr_later = True
        self.rate(self.bob)
        self.assertFalse(self.behaviours_of(self.bob))
        self.run_later()
        self.assertEqual(self.behaviours_of(self.bob), self.b_review)

    def test_the_rule_reads_the_record_as_it_is_when_it_runs(self):
        # Subscribed, then unsubscribed from every list within the minute: no newsletter reward at all.
        contact = self.subscribe("Alice", "alice@example.com")
        contact.subscription_ids.opt_out = True
        # A filter an administrator sets applies moments later too: ratings of 5 only.
        self.rating_rule.filter_domain = "[('consumed', '=', True), ('rating', '=', 5), ('partner_id', '!=', False)]"
        self.rate(self.bob, rating=4)
        self.run_later()
        self.assertFalse(self.behaviours_of(self.alice) or self.behaviours_of(self.bob))

    def test_a_record_that_fails_keeps_waiting_and_the_others_are_done(self):
        self.env["ir.actions.server"].create(
            {
                "name": "Refuse broken contacts",
                "model_id": self.env["ir.model"]._get_id("mailing.contact"),
                "base_automation_id": self.newsletter_rule.id,
                "usage": "base_automation",
                "state": "code",
                "code": "if records.filtered(lambda c: c.name == 'Broken'):\n    raise UserError('broken')",
            }
        )
        broken = self.subscribe("Broken", "broken@example.com")
        fine = self.subscribe("Alice", "alice@example.com")
        with self.assertLogs("odoo.addons.positive_reinforcement.models.base_automation_later", "ERROR") as logs:
            self.run_later()
        self.assertIn(f"failed on mailing.contact {broken.id}", logs.output[0])
        self.assertEqual(self.behaviours_of(self.alice), self.b_newsletter)
        self.assertEqual((broken.pr_to_record, broken.pr_later_failures), (self.env.company, 1), "waits again")
        self.assertFalse(fine.pr_to_record)
        # Three failed runs: it waits for an administrator, who mends the rule and saves it.
        for _run in range(2):
            with self.assertLogs("odoo.addons.positive_reinforcement.models.base_automation_later", "ERROR"):
                self.run_later()
        self.run_later()  # not tried a fourth time (no error logged)
        self.assertEqual(broken.pr_later_failures, 3)
        self.newsletter_rule.action_server_ids.filtered(lambda a: a.name == "Refuse broken contacts").unlink()
        self.newsletter_rule.write({"name": self.newsletter_rule.name})
        self.assertFalse(broken.pr_later_failures)
        self.run_later()
        self.assertFalse(broken.pr_to_record or broken.pr_later_failures)

    def test_nobody_marks_records_by_hand(self):
        user = new_test_user(self.env, login="later_seller", groups="sales_team.group_sale_salesman")
        order = self.env["sale.order"].with_user(user).create({"partner_id": self.alice.id})
        for record, field, value in (
            (order, "pr_to_record", self.env.company.id),
            (order, "pr_later_failures", 0),
            (self.rate(self.alice), "pr_to_record", self.env.company.id),
            (self.subscribe("Bob", "bob@example.com"), "pr_to_record", self.env.company.id),
        ):
            with self.assertRaisesRegex(AccessError, "not by hand"):
                record.write({field: value})
        with self.assertRaisesRegex(AccessError, "not by hand"):
            self.env["sale.order"].with_user(user).create(
                {"partner_id": self.bob.id, "pr_to_record": self.env.company.id}
            )

    def test_orders_created_confirmed_count_and_orders_confirmed_already_do_not_again(self):
        order = self.env["sale.order"].create(
            {"partner_id": self.alice.id, "state": "sale", "date_order": "2026-11-01"}
        )
        self.assertEqual(order.pr_to_record, self.env.company, "an order imported confirmed counts, as Odoo's rule did")
        self.run_later()
        self.assertEqual(len(self.Event.search([("source_model", "=", "sale.order"), ("source_id", "=", order.id)])), 2)
        order.write({"state": "sale"})
        self.assertFalse(order.pr_to_record, "confirmed already: nothing to record again")

    def test_a_rating_counts_in_the_company_it_was_given_in(self):
        other = self.env["res.company"].create({"name": "Other roaster"})
        visitor = self.visitor(context={"allowed_company_ids": [other.id]})
        rating = visitor["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.alice.id,
                "partner_id": self.alice.id,
                "rating": 5,
                "feedback": "Lovely coffee",
                "consumed": True,
            }
        )
        self.assertEqual(rating.pr_to_record, other)
        self.run_later()
        self.assertEqual(self.Event.search([("partner_id", "=", self.alice.id)]).company_id, other)

    def test_only_rules_of_orders_ratings_and_contacts_on_creation_or_update_run_later(self):
        lead_rule = self.env.ref("positive_reinforcement.automation_lead_won")
        self.assertFalse(lead_rule.pr_later_available)
        self.assertTrue(self.rating_rule.pr_later_available)
        with self.assertRaisesRegex(ValidationError, "only rules on sales orders, ratings and mailing contacts"):
            lead_rule.pr_later = True
        with self.assertRaisesRegex(ValidationError, "created or updated"):
            self.rating_rule.trigger = "on_unlink"
