from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestRewardRules(PositiveReinforcementCase):
    def test_fixed_points_times_tier_multiplier(self):
        self.Rule.create({"name": "Social", "behavior_id": self.b_social.id, "points": 100})
        self.post(self.alice, 600)  # Silver: x1.25
        event = self.process(self.event(self.alice, self.b_social))
        self.assertEqual(event.state, "processed")
        self.assertEqual(event.points, 125)
        self.assertEqual(event.decision_ids.outcome, "granted")
        self.assertEqual(event.decision_ids.entry_id.points, 125)
        self.assertBalances(self.alice, 725)

    def test_points_per_currency_unit(self):
        self.company.pr_points_per_currency = 0.5
        self.Rule.create(
            {
                "name": "Spend",
                "behavior_id": self.b_purchase.id,
                "points_mode": "per_currency",
                "apply_multiplier": False,
            }
        )
        event = self.process(self.event(self.bob, self.b_purchase, value=251.0))
        self.assertEqual(event.points, 125)

    def test_every_decision_says_why(self):
        rules = self.Rule.create(
            [
                {"name": "Gold only", "behavior_id": self.b_social.id, "points": 5, "tier_ids": [self.gold.id]},
                {"name": "Big spenders", "behavior_id": self.b_social.id, "points": 5, "min_value": 100},
                {"name": "Expired", "behavior_id": self.b_social.id, "points": 5, "date_to": "2020-01-01"},
                {
                    "name": "Named Bob",
                    "behavior_id": self.b_social.id,
                    "points": 5,
                    "partner_domain": "[('name', 'ilike', 'Bob')]",
                },
                {"name": "Once", "behavior_id": self.b_social.id, "points": 7, "once_per_customer": True},
            ]
        )
        first = self.process(self.event(self.alice, self.b_social, value=10))
        second = self.process(self.event(self.alice, self.b_social, value=10))
        outcomes = {d.rule_id: (d.outcome, d.note) for d in first.decision_ids}
        self.assertEqual(outcomes[rules[0]], ("skipped_condition", "The customer's tier is not eligible."))
        self.assertEqual(outcomes[rules[1]][0], "skipped_condition")
        self.assertEqual(outcomes[rules[2]], ("skipped_condition", "Outside the rule's validity dates."))
        self.assertEqual(outcomes[rules[3]], ("skipped_condition", "The customer does not match the rule's filter."))
        self.assertEqual(outcomes[rules[4]][0], "granted")
        self.assertEqual(second.decision_ids.filtered(lambda d: d.rule_id == rules[4]).outcome, "skipped_limit")
        self.assertIn("No reward", second.message)
        self.assertBalances(self.alice, 7)

    def test_limit_per_period_and_monthly_budget(self):
        limited = self.Rule.create(
            {
                "name": "Twice a month",
                "behavior_id": self.b_review.id,
                "points": 10,
                "max_per_period": 2,
                "period": "month",
            }
        )
        budget = self.Rule.create(
            {"name": "Budget", "behavior_id": self.b_social.id, "points": 30, "monthly_budget": 50}
        )
        with freeze_time("2026-05-20"):
            reviews = self.process(
                self.Event.create([{"partner_id": self.alice.id, "behavior_id": self.b_review.id} for _ in range(3)])
            )
            socials = self.process(
                self.Event.create(
                    [{"partner_id": p.id, "behavior_id": self.b_social.id} for p in (self.alice, self.bob)]
                )
            )
        self.assertEqual(
            reviews.decision_ids.filtered(lambda d: d.rule_id == limited).mapped("outcome").count("granted"), 2
        )
        self.assertIn("skipped_limit", reviews.decision_ids.mapped("outcome"))
        self.assertEqual(
            socials.decision_ids.filtered(lambda d: d.rule_id == budget).mapped("outcome"),
            ["granted", "skipped_budget"],
        )
        with freeze_time("2026-06-02"):
            june = self.process(self.event(self.bob, self.b_social))
        self.assertEqual(june.decision_ids.outcome, "granted", "a new month, a new budget")

    def test_several_rules_grant_with_their_own_keys(self):
        self.Rule.create(
            [
                {"name": "A", "behavior_id": self.b_social.id, "points": 3},
                {"name": "B", "behavior_id": self.b_social.id, "points": 4},
            ]
        )
        event = self.process(self.event(self.alice, self.b_social))
        entries = event.decision_ids.entry_id
        self.assertEqual(len(set(entries.mapped("idempotency_key"))), 2)
        event.action_process()  # processing again grants nothing more
        self.assertBalances(self.alice, 7)

    def test_no_rule_means_ignored_with_the_reason(self):
        event = self.process(self.event(self.alice, self.b_feedback))
        self.assertEqual(event.state, "ignored")
        self.assertEqual(event.message, "No active reward rule for this behaviour.")

    def test_bad_events_get_an_error_and_the_rest_goes_on(self):
        self.Rule.create({"name": "Social", "behavior_id": self.b_social.id, "points": 10})
        with self.assertRaises(ValidationError):
            self.event(self.alice, self.b_social, date="2999-01-01")
        gone = self.env["res.partner"].create({"name": "Gone"})
        events = self.Event.create(
            [{"partner_id": p.id, "behavior_id": self.b_social.id} for p in (self.alice, gone, self.bob)]
        )
        gone.action_archive()
        self.process(events)
        self.assertEqual(events.mapped("state"), ["processed", "error", "processed"])
        self.assertIn("archived", events[1].message)
        self.assertFalse(events[1].decision_ids)
        self.assertBalances(self.alice, 10)
        self.assertBalances(self.bob, 10)

    def test_a_rule_whose_filter_fails_is_an_error_for_its_events(self):
        rule = self.Rule.create({"name": "Broken", "behavior_id": self.b_social.id, "points": 10})
        self.env.cr.execute(
            "UPDATE pr_reward_rule SET partner_domain = %s WHERE id = %s", ["[('no_such_field', '=', 1)]", rule.id]
        )
        rule.invalidate_recordset()
        self.Rule.create({"name": "Reviews", "behavior_id": self.b_review.id, "points": 5})
        social, review = self.process(self.event(self.alice, self.b_social) | self.event(self.bob, self.b_review))
        self.assertEqual(social.state, "error")
        self.assertIn("Broken", social.message)
        self.assertEqual(review.state, "processed")
        self.assertFalse(self.member(self.alice))

    def test_a_template_that_fails_to_render_writes_nothing(self):
        template = self.env["mail.template"].create(
            {
                "name": "Broken",
                "model_id": self.env["ir.model"]._get_id("pr.event"),
                "subject": "Thanks",
                "body_html": "<p>x</p>",
            }
        )
        # The form refuses such a template; one can still break later, when a field it uses is removed.
        self.env.cr.execute(
            "UPDATE mail_template SET subject = %s WHERE id = %s",
            ['{"en_US": "{{ object.no_such_field }}"}', template.id],
        )
        template.invalidate_recordset()
        self.Rule.create(
            {"name": "Thanks", "behavior_id": self.b_social.id, "points": 10, "mail_template_id": template.id}
        )
        event = self.process(self.event(self.alice, self.b_social))
        self.assertEqual(event.state, "error")
        self.assertFalse(self.member(self.alice))
        self.assertFalse(event.decision_ids)

    def test_thank_you_email_and_activity_for_the_salesperson(self):
        self.alice.user_id = self.manager
        self.Rule.create(
            {
                "name": "Welcome",
                "behavior_id": self.b_first.id,
                "points": 200,
                "mail_template_id": self.env.ref("positive_reinforcement.mail_template_pr_thank_you").id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "activity_summary": "Handwritten note",
            }
        )
        self.process(self.event(self.alice, self.b_first))
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.alice.ids)], limit=1)
        self.assertIn("200", mail.body_html)
        activity = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", self.alice.id)])
        self.assertEqual(activity.summary, "Handwritten note")
        self.assertEqual(activity.user_id, self.manager)

    def test_import_by_email(self):
        self.Rule.create({"name": "Social", "behavior_id": self.b_social.id, "points": 10})
        result = self.Event.load(
            ["partner_email", "behavior_id", "date"], [["ALICE@example.com", self.b_social.name, "2026-01-05 10:00:00"]]
        )
        self.assertFalse(result["messages"], result["messages"])
        event = self.Event.browse(result["ids"])
        self.assertEqual(event.partner_id, self.alice)
        with self.assertRaises(ValidationError):
            self.Event.create({"partner_email": "nobody@example.com", "behavior_id": self.b_social.id})

    def test_processing_events_asks_for_the_badges_soon(self):
        self.Rule.create({"name": "Review", "behavior_id": self.b_review.id, "points": 5})
        self.event(self.alice, self.b_review)
        badge_cron = self.env.ref("positive_reinforcement.ir_cron_grant_badges")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", badge_cron.id)])
        with self.enter_registry_test_mode():
            self.env.ref("positive_reinforcement.ir_cron_process_events").method_direct_trigger()
        self.assertGreater(Trigger.search_count([("cron_id", "=", badge_cron.id)]), before)
