import math
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..pr_lib.experiments import assign_variant, prob_beats_control, two_proportion_ztest
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

    def test_sample_size_calculator(self):
        experiment = self.experiment(baseline_rate=0.10, min_detectable_lift=0.20)
        self.assertEqual(experiment.sample_size, 3841)  # the textbook case, see pr_lib's tests
        experiment.min_detectable_lift = 0.10
        self.assertGreater(experiment.sample_size, 3 * 3841)
        with self.assertRaisesRegex(ValidationError, "between 0 and 100 percent"):
            experiment.baseline_rate = 0.95  # 95% raised by 10% is above 100%

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

        # Each batch has customers of both groups and outside the experiment: some rewarded, some not.
        groups = self.groups(experiment)
        in_double, in_holdout = groups[double], groups[experiment.variant_ids - double]
        count(in_double[:2] | in_holdout[:2] | outsiders[50:])  # warm-up
        small = count(in_double[2:5] | in_holdout[2:4] | outsiders[:5])
        large = count(in_double[5:35] | in_holdout[4:24] | outsiders[5:50])
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

    # ------------------------------------------------------------
    # RESULTS
    # ------------------------------------------------------------

    def known_case(self, planned_days=60):
        """Holdout 10 conversions of 100, the group 20 of 100, a third group nobody is in; started 40 days ago."""
        experiment = self.experiment(
            groups=(("Holdout", 1, True), ("Double points", 1, False), ("Empty", 1, False)),
            window_days=30,
            planned_days=planned_days,
        )
        holdout, double, empty = experiment.variant_ids.sorted(lambda v: (not v.is_control, v.id))
        start = fields.Datetime.now() - timedelta(days=40)
        experiment.write({"state": "running", "date_start": start})
        control_panel, variant_panel = self.panel[:100], self.panel[100:]
        self.Assignment.create(
            [
                {
                    "experiment_id": experiment.id,
                    "company_id": experiment.company_id.id,
                    "partner_id": partner.id,
                    "variant_id": variant.id,
                    "date": start,
                }
                for variant, partners in ((holdout, control_panel), (double, variant_panel))
                for partner in partners
            ]
        )
        in_window = start + timedelta(days=5)
        # The variant's first converter reviews through a colleague: the company holds the points.
        colleague = self.env["res.partner"].create({"name": "Colleague", "parent_id": variant_panel[0].id})
        converters = control_panel[:10] | variant_panel[1:20]
        self.Event.create(
            [{"partner_id": p.id, "behavior_id": self.b_review.id, "date": in_window} for p in converters]
            + [{"partner_id": colleague.id, "behavior_id": self.b_review.id, "date": in_window}]
            # Not conversions: twice the same customer, too early, too late, another behaviour, in error.
            + [{"partner_id": control_panel[0].id, "behavior_id": self.b_review.id, "date": in_window}]
            + [{"partner_id": control_panel[50].id, "behavior_id": self.b_review.id, "date": start - timedelta(days=1)}]
            + [
                {
                    "partner_id": control_panel[51].id,
                    "behavior_id": self.b_review.id,
                    "date": start + timedelta(days=31),
                }
            ]
            + [{"partner_id": control_panel[52].id, "behavior_id": self.b_social.id, "date": in_window}]
        )
        self.event(control_panel[53], self.b_review, date=in_window).write({"state": "error"})
        order = self.sale_order(variant_panel[5], {"product_id": self.product().id}, date=in_window)
        self.sale_order(control_panel[5], {"product_id": self.product().id})  # dated now: after the 30-day window
        return experiment, holdout, double, empty, order

    def product(self):
        return self.env["product.product"].create({"name": "Beans", "list_price": 120.0})

    def test_results_of_a_known_case(self):
        experiment, holdout, double, empty, order = self.known_case()
        results = experiment._get_results()
        control, variant = results[holdout.id], results[double.id]
        self.assertEqual((control["customers"], control["conversions"]), (100, 10))
        self.assertEqual((variant["customers"], variant["conversions"]), (100, 20))
        self.assertEqual((control["rate"], variant["rate"]), (0.10, 0.20))
        self.assertAlmostEqual(variant["revenue_per_customer"], order.amount_untaxed / 100)
        self.assertEqual(control["revenue_per_customer"], 0.0)
        expected = two_proportion_ztest(10, 100, 20, 100)
        self.assertAlmostEqual(variant["lift"], expected.lift)
        self.assertAlmostEqual(variant["lift"], 1.0)  # 20% is twice 10%
        self.assertAlmostEqual(variant["z"], expected.z)
        self.assertAlmostEqual(variant["p_value"], expected.p_value)
        # By hand: pooled rate 0.15, standard error sqrt(0.15 * 0.85 * (1/100 + 1/100)) = 0.0505.
        self.assertAlmostEqual(variant["z"], 0.10 / math.sqrt(0.15 * 0.85 * 0.02), places=9)
        self.assertAlmostEqual(variant["z"], 1.980, places=3)
        self.assertAlmostEqual(variant["p_value"], math.erfc(variant["z"] / math.sqrt(2)), places=9)
        self.assertAlmostEqual(variant["prob_beats_control"], prob_beats_control(10, 100, 20, 100))
        self.assertGreater(variant["prob_beats_control"], 0.95)
        self.assertIsNone(control["z"], "the holdout is not compared with itself")

        # 40 of 60 planned days: |z| = 1.98 is below the bound of 1.96 / sqrt(2/3) = 2.40, and 100 is far from 3841.
        self.assertTrue(variant["early"])
        self.assertTrue(variant["too_small"])
        self.assertIn("Too early to read", double.result_warning)
        self.assertIn("Too few customers: 100 where 3841 per group are needed", double.result_warning)
        self.assertEqual(double.conversion_rate_display, "20.0 %")
        self.assertEqual(double.lift_display, "+100.0 %")
        self.assertEqual(double.z_display, "1.98")
        self.assertEqual(double.p_value_display, "0.048")
        self.assertFalse(holdout.lift_display)
        self.assertEqual(holdout.conversion_rate_display, "10.0 %")
        self.env.invalidate_all()
        self.assertEqual(double.with_user(self.user).p_value_display, "0.048", "users read the results")

        # Nobody in a group: n/a, never a division by zero.
        self.assertEqual(results[empty.id]["customers"], 0)
        self.assertIsNone(results[empty.id]["rate"])
        for field in (
            "conversion_rate_display",
            "revenue_per_customer_display",
            "lift_display",
            "z_display",
            "p_value_display",
            "prob_beats_control_display",
        ):
            self.assertEqual(empty[field], "n/a", field)
        self.assertIn("No customer in this group", empty.result_warning)

    def test_results_are_not_early_once_the_planned_duration_is_over(self):
        experiment, _holdout, double, _empty, _order = self.known_case(planned_days=30)
        experiment.write({"baseline_rate": 0.10, "min_detectable_lift": 2.0})  # 10% to 30% needs 62 customers
        self.assertLessEqual(experiment.sample_size, 100)
        self.assertGreaterEqual(experiment.information_fraction, 1.0)
        self.assertAlmostEqual(experiment.significance_boundary, 1.96, places=2)
        result = experiment._get_results()[double.id]
        self.assertFalse(result["early"])
        self.assertFalse(result["too_small"])
        self.assertFalse(double.result_warning)

    def test_results_take_the_same_queries_for_2_or_4_groups(self):
        two = self.experiment(name="Two")
        four = self.experiment(
            name="Four", groups=(("Holdout", 1, True), ("A", 1, False), ("B", 1, False), ("C", 1, False))
        )
        (two | four).action_start()
        self.Event.create([{"partner_id": p.id, "behavior_id": self.b_review.id} for p in self.panel[:30]])

        def read(experiment):
            self.env.invalidate_all()
            return experiment.variant_ids.mapped("lift_display")

        read(two)  # warm-up
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        read(two)
        queries = self.env.cr.sql_log_count - before
        with self.assertQueryCount(queries):
            lifts = read(four)
        self.assertEqual(len(lifts), 4)


@tagged("post_install", "-at_install")
class TestExperimentScreens(HttpCase):
    def test_experiment_screens_open_without_error(self):
        review = self.env.ref("positive_reinforcement.pr_behavior_review")
        partners = self.env["res.partner"].create([{"name": f"Screen {i}"} for i in range(40)])
        experiment = self.env["pr.experiment"].create(
            {
                "name": "Screen experiment",
                "behavior_id": review.id,
                "partner_domain": f"[('id', 'in', {partners.ids})]",
                "variant_ids": [
                    Command.create({"name": "Holdout", "is_control": True}),
                    Command.create({"name": "Double points"}),
                    Command.create({"name": "Nobody", "weight": 1}),
                ],
            }
        )
        double = experiment.variant_ids.filtered(lambda v: v.name == "Double points")
        self.env["pr.reward.rule"].create(
            {"name": "Review x2", "behavior_id": review.id, "points": 50, "experiment_variant_id": double.id}
        )
        experiment.action_start()
        # The third group gets nobody: its customers are moved to the holdout, as if they had entered it.
        nobody = experiment.variant_ids.filtered(lambda v: v.name == "Nobody")
        holdout = experiment.variant_ids.filtered("is_control")
        self.env["pr.experiment.assignment"].search([("variant_id", "=", nobody.id)]).variant_id = holdout
        self.env["pr.event"].create([{"partner_id": p.id, "behavior_id": review.id} for p in partners[:15]])
        self.start_tour(
            f"/odoo/action-positive_reinforcement.pr_experiment_action/{experiment.id}",
            "pr_experiment_screens",
            login="admin",
        )
