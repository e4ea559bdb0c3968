from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..pr_lib.experiments import assign_variant
from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestExperiments(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = cls.env["res.partner.category"].create({"name": "Experiment panel"})
        cls.panel = cls.env["res.partner"].create(
            [
                {"name": f"Panel {i}", "email": f"panel{i}@example.com", "category_id": [Command.set(cls.tag.ids)]}
                for i in range(200)
            ]
        )
        cls.Experiment = cls.env["pr.experiment"]
        cls.Assignment = cls.env["pr.experiment.assignment"]

    def experiment(self, groups=(("Holdout", 1, True), ("Double points", 1, False)), **values):
        return self.Experiment.create(
            {
                "name": "Double points vs holdout",
                "behavior_id": self.b_review.id,
                "partner_domain": f"[('category_id', 'in', {self.tag.ids})]",
                "variant_ids": [
                    Command.create({"name": name, "weight": weight, "is_control": control})
                    for name, weight, control in groups
                ],
                **values,
            }
        )

    def groups(self, experiment):
        """``{variant: partners}`` as stored."""
        groups = dict.fromkeys(experiment.variant_ids, self.env["res.partner"])
        for assignment in self.Assignment.search([("experiment_id", "=", experiment.id)]):
            groups[assignment.variant_id] |= assignment.partner_id
        return groups

    def by_hash(self, experiment, partner):
        weights = [(variant.id, variant.weight) for variant in experiment.variant_ids.sorted("id")]
        return assign_variant(partner.id, experiment.key, weights)

    # ------------------------------------------------------------
    # ASSIGNMENT
    # ------------------------------------------------------------

    def test_assignment_follows_the_hash_for_good(self):
        experiment = self.experiment(groups=(("Holdout", 1, True), ("Double points", 3, False)))
        key = experiment.key
        self.assertTrue(key)
        experiment.action_start()
        self.assertEqual(experiment.state, "running")
        self.assertEqual(experiment.customer_count, 200)
        holdout, double = experiment.variant_ids.sorted(lambda v: not v.is_control)
        groups = self.groups(experiment)
        self.assertEqual(groups[holdout] | groups[double], self.panel)
        for variant, partners in groups.items():
            for partner in partners:
                self.assertEqual(self.by_hash(experiment, partner), variant.id)
        # Weights 1 and 3: a quarter in the holdout (4 standard deviations either way).
        self.assertTrue(26 <= len(groups[holdout]) <= 74, len(groups[holdout]))

        # A customer who enters the segment later joins the group the hash gives them, and stays in it.
        newcomer = self.env["res.partner"].create({"name": "Late", "category_id": [Command.set(self.tag.ids)]})
        variant = experiment._variant_of([newcomer.id])[newcomer.id]
        self.assertEqual(variant.id, self.by_hash(experiment, newcomer))
        self.assertEqual(experiment._variant_of([newcomer.id]), {newcomer.id: variant})
        outsider = self.env["res.partner"].create({"name": "Outsider"})
        self.assertEqual(experiment._variant_of([outsider.id]), {}, "not in the segment, not in the experiment")

        # Asking again assigns nobody new and moves nobody.
        experiment._variant_of((self.panel | newcomer).ids)
        experiment._assign_newcomers()
        self.assertEqual(self.Assignment.search_count([("experiment_id", "=", experiment.id)]), 201)
        self.assertEqual(
            self.groups(experiment)[holdout],
            groups[holdout] | (newcomer if variant == holdout else self.env["res.partner"]),
        )
        with self.assertRaisesRegex(UserError, "already started"):
            experiment.action_start()
        with self.assertRaisesRegex(UserError, "never changes"):
            experiment.key = "another"
        with self.assertRaisesRegex(UserError, "cannot change once it has started"):
            holdout.weight = 5
        self.assertEqual(experiment.key, key)

    def test_empty_segment_writes_nothing(self):
        experiment = self.experiment(partner_domain="[('name', '=', 'Nobody at all')]")
        with self.assertRaisesRegex(UserError, "No customer matches"):
            experiment.action_start()
        self.assertEqual(experiment.state, "draft")
        self.assertFalse(experiment.date_start)
        self.assertFalse(self.Assignment.search_count([("experiment_id", "=", experiment.id)]))

    def test_groups_need_one_holdout_and_positive_weights(self):
        with self.assertRaisesRegex(ValidationError, "exactly one holdout"):
            self.experiment(groups=(("A", 1, False), ("B", 1, False)))
        with self.assertRaisesRegex(ValidationError, "exactly one holdout"):
            self.experiment(groups=(("A", 1, True), ("B", 1, True)))
        with self.assertRaisesRegex(UserError, "a group besides the holdout"):
            self.experiment(groups=(("Holdout", 1, True),)).action_start()
        experiment = self.experiment()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            experiment.variant_ids[0].weight = 0
            self.env.flush_all()
        holdout = experiment.variant_ids.filtered("is_control")
        with self.assertRaisesRegex(ValidationError, "holdout .* gets nothing"):
            self.Rule.create(
                {"name": "For nobody", "behavior_id": self.b_review.id, "experiment_variant_id": holdout.id}
            )

    # ------------------------------------------------------------
    # ENFORCEMENT
    # ------------------------------------------------------------

    def test_rule_of_a_group_rewards_only_that_group(self):
        experiment = self.experiment()
        holdout, double = experiment.variant_ids.sorted(lambda v: not v.is_control)
        everyone = self.Rule.create({"name": "Review", "behavior_id": self.b_review.id, "points": 50})
        extra = self.Rule.create(
            {"name": "Review x2", "behavior_id": self.b_review.id, "points": 50, "experiment_variant_id": double.id}
        )
        before = self.process(self.event(self.alice, self.b_review))
        self.assertEqual(
            before.decision_ids.filtered(lambda d: d.rule_id == extra).note,
            "The experiment Double points vs holdout is not running.",
        )
        experiment.action_start()
        groups = self.groups(experiment)
        in_double, in_holdout = groups[double][0], groups[holdout][0]
        events = self.process(
            self.event(in_double, self.b_review)
            | self.event(in_holdout, self.b_review)
            | self.event(self.alice, self.b_review)
        )
        decisions = {(d.event_id.partner_id, d.rule_id): d for d in events.decision_ids}
        self.assertEqual(decisions[(in_double, extra)].outcome, "granted")
        self.assertEqual(decisions[(in_double, everyone)].outcome, "granted")
        self.assertEqual(decisions[(in_holdout, everyone)].outcome, "granted", "the usual program goes on")
        self.assertEqual(
            (decisions[(in_holdout, extra)].outcome, decisions[(in_holdout, extra)].note),
            ("skipped_condition", "The customer is in another group of experiment Double points vs holdout."),
        )
        self.assertEqual(
            decisions[(self.alice, extra)].note, "The customer is not in experiment Double points vs holdout."
        )
        self.assertBalances(in_double, 100)
        self.assertBalances(in_holdout, 50)

        # A customer entering the segment later is assigned when their first event is processed.
        late = self.env["res.partner"].create({"name": "Late", "category_id": [Command.set(self.tag.ids)]})
        event = self.process(self.event(late, self.b_review))
        variant = experiment._variant_of([late.id])[late.id]
        self.assertEqual(variant.id, self.by_hash(experiment, late))
        granted = event.decision_ids.filtered(lambda d: d.rule_id == extra).outcome == "granted"
        self.assertEqual(granted, variant == double)

        experiment.action_stop()
        self.assertEqual(experiment.state, "done")
        after = self.process(self.event(in_double, self.b_review))
        self.assertEqual(after.decision_ids.filtered(lambda d: d.rule_id == extra).outcome, "skipped_condition")

    def test_processing_with_a_group_rule_costs_the_same_queries_for_10_or_100_events(self):
        experiment = self.experiment()
        double = experiment.variant_ids.filtered(lambda v: not v.is_control)
        self.Rule.create(
            {"name": "Review x2", "behavior_id": self.b_review.id, "points": 50, "experiment_variant_id": double.id}
        )
        experiment.action_start()
        outsiders = self.env["res.partner"].create([{"name": f"Outsider {i}"} for i in range(60)])

        def count(partners):
            events = self.Event.create([{"partner_id": p.id, "behavior_id": self.b_review.id} for p in partners])
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            events._pr_process()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        count(self.panel[150:155] | outsiders[50:])  # warm-up
        small = count(self.panel[:5] | outsiders[:5])
        large = count(self.panel[5:55] | outsiders[5:50])
        self.assertEqual(small, large, f"10 events took {small} queries, 95 took {large}")

    def test_campaign_of_a_group_reaches_only_that_group(self):
        experiment = self.experiment()
        holdout, double = experiment.variant_ids.sorted(lambda v: not v.is_control)
        campaign = self.env["pr.offer.campaign"].create(
            {
                "name": "Double points week",
                "offer_kind": "multiplier",
                "multiplier": 2.0,
                "partner_domain": f"[('category_id', 'in', {self.tag.ids})]",
                "experiment_variant_id": double.id,
            }
        )
        self.assertFalse(campaign._segment(), "nobody is in a group before the experiment starts")
        experiment.action_start()
        groups = self.groups(experiment)
        self.assertEqual(campaign._segment(), groups[double])
        campaign.action_send()
        self.assertEqual(campaign.offer_ids.partner_id, groups[double])
        self.assertFalse(campaign.offer_ids.partner_id & groups[holdout])
        with self.assertRaisesRegex(ValidationError, "gets nothing"):
            campaign.copy({"experiment_variant_id": holdout.id})
