from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestFeedback(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.nps = ref("positive_reinforcement.pr_survey_nps")
        cls.nps_score = ref("positive_reinforcement.pr_survey_nps_question_score")
        cls.nps_comment = ref("positive_reinforcement.pr_survey_nps_question_comment")
        cls.csat = ref("positive_reinforcement.pr_survey_csat")
        cls.csat_score = ref("positive_reinforcement.pr_survey_csat_question_score")
        cls.follow_up = ref("positive_reinforcement.mail_activity_type_pr_feedback_follow_up")
        cls.company.write(
            {
                "pr_nps_survey_id": cls.nps.id,
                "pr_nps_delay_days": 7,
                "pr_nps_period_days": 90,
                "pr_feedback_user_id": False,
            }
        )
        cls.account_manager = cls.user
        cls.alice.user_id = cls.account_manager
        cls.Feedback = cls.env["pr.feedback"]
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 20.0})

    def answer(self, partner, score, comment=None, survey=None):
        """The customer opens their personal link, answers and submits, as the survey controller does."""
        survey = survey or self.nps
        answer = survey.sudo()._create_answer(partner=partner, check_attempts=False)
        score_question = survey.question_ids.filtered("pr_metric")
        # The survey frontend posts the values as strings: 0 is "0", not a skipped answer.
        answer._save_lines(score_question, str(score))
        if comment:
            answer._save_lines(survey.question_ids.filtered(lambda q: q.question_type == "text_box"), comment)
        answer._mark_done()
        return answer

    def feedback_of(self, source):
        return self.Feedback.search([("source_model", "=", source._name), ("source_id", "=", source.id)])

    def follow_ups(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.follow_up.id),
            ]
        )

    def review_mails(self, feedback):
        return self.env["mail.mail"].search([("model", "=", "pr.feedback"), ("res_id", "in", feedback.ids)])

    # ------------------------------------------------------------
    # SURVEYS
    # ------------------------------------------------------------

    def test_completing_the_nps_survey_counts_once(self):
        answer = self.answer(self.alice, 8, "Good beans, slow delivery.")
        feedback = self.feedback_of(answer)
        self.assertRecordValues(
            feedback,
            [
                {
                    "partner_id": self.alice.id,
                    "contact_id": self.alice.id,
                    "company_id": self.company.id,
                    "metric": "nps",
                    "score": 8,
                    "category": "passive",
                    "comment": "Good beans, slow delivery.",
                    "date": answer.end_datetime,
                }
            ],
        )
        # Submitted again, or the same personal link used to answer differently: the first answer stands.
        answer._mark_done()
        answer._save_lines(self.nps_score, "2")
        answer._mark_done()
        self.assertEqual(self.Feedback.search_count([("contact_id", "=", self.alice.id)]), 1)
        self.assertEqual(feedback.score, 8)
        self.assertFalse(self.follow_ups(self.alice), "a passive answer needs no follow-up")
        self.assertFalse(self.review_mails(feedback), "only promoters are asked for a review")
        self.assertEqual(self.alice.pr_feedback_count, 1)

    def test_a_contact_answers_for_the_commercial_entity(self):
        acme = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        dana = self.env["res.partner"].create({"name": "Dana", "parent_id": acme.id, "email": "dana@example.com"})
        feedback = self.feedback_of(self.answer(dana, 0))
        self.assertEqual((feedback.partner_id, feedback.contact_id), (acme, dana))
        self.assertEqual(feedback.category, "detractor")
        self.company.pr_wallet_mode = "contact"
        self.assertEqual(self.feedback_of(self.answer(dana, 9)).partner_id, dana)

    def test_anonymous_and_test_answers_are_not_counted(self):
        public = self.nps.sudo()._create_answer(email="someone@example.com", check_attempts=False)
        public._save_lines(self.nps_score, "3")
        public._mark_done()
        trial = self.nps.sudo()._create_answer(user=self.env.user, test_entry=True, check_attempts=False)
        trial._save_lines(self.nps_score, "3")
        trial._mark_done()
        self.assertFalse(self.feedback_of(public) | self.feedback_of(trial))

    def test_csat_survey_counts_as_satisfaction(self):
        feedback = self.feedback_of(self.answer(self.bob, 2, survey=self.csat))
        self.assertEqual((feedback.metric, feedback.score, feedback.category), ("csat", 2, "dissatisfied"))

    def test_out_of_scale_score_is_refused_and_nothing_is_written(self):
        answer = self.nps.sudo()._create_answer(partner=self.alice, check_attempts=False)
        self.env["survey.user_input.line"].create(
            {"user_input_id": answer.id, "question_id": self.nps_score.id, "answer_type": "scale", "value_scale": 11}
        )
        with self.assertRaisesRegex(ValidationError, "outside its scale"):
            answer._mark_done()
        self.assertEqual(answer.state, "new")
        self.assertFalse(self.Feedback.search([("contact_id", "=", self.alice.id)]))
        with self.assertRaisesRegex(ValidationError, "from 1 to 5"):
            self.Feedback.create({"partner_id": self.bob.id, "contact_id": self.bob.id, "metric": "csat", "score": 0})
        self.assertFalse(self.Feedback.search([("contact_id", "=", self.bob.id)]))

    def test_a_question_counts_only_on_its_metric_scale(self):
        with self.assertRaises(ValidationError):
            self.csat_score.scale_max = 10

    # ------------------------------------------------------------
    # RATINGS
    # ------------------------------------------------------------

    def test_ratings_count_as_csat_and_a_new_rating_updates_it(self):
        self.company.pr_feedback_user_id = self.manager
        order = self.env["sale.order"].create({"partner_id": self.bob.id})
        token = order._rating_get_access_token(partner=self.bob)
        # What the rating link does: sudo on behalf of the visitor who holds the token.
        order = order.with_user(self.env.ref("base.public_user")).sudo()
        rating = order.rating_apply(5, token=token, feedback="Lovely.")
        self.assertFalse(self.feedback_of(rating), "counted moments later, out of the customer's transaction")
        self.run_later()
        feedback = self.feedback_of(rating)
        self.assertRecordValues(
            feedback, [{"partner_id": self.bob.id, "metric": "csat", "score": 5, "category": "satisfied"}]
        )
        self.assertFalse(self.follow_ups(self.bob))
        # The customer changes their mind: the same row follows, and now it needs a follow-up.
        order.rating_apply(1, token=token, feedback="It arrived broken.")
        self.run_later()
        self.assertEqual(self.feedback_of(rating), feedback)
        self.assertEqual((feedback.score, feedback.category), (1, "dissatisfied"))
        activity = self.follow_ups(self.bob)
        self.assertEqual(activity.user_id, self.manager, "no salesperson: the company's feedback manager")
        self.assertIn("It arrived broken.", str(activity.note))

    def test_unfilled_or_anonymous_ratings_do_not_count(self):
        order = self.env["sale.order"].create({"partner_id": self.bob.id})
        order._rating_get_access_token(partner=self.bob)
        anonymous = self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("sale.order"),
                "res_id": order.id,
                "rating": 1,
                "consumed": True,
            }
        )
        self.run_later()
        self.assertFalse(self.Feedback.search([("source_model", "=", "rating.rating")]))
        self.assertFalse(self.feedback_of(anonymous))

    # ------------------------------------------------------------
    # FOLLOW-UP
    # ------------------------------------------------------------

    def test_a_detractor_gets_a_follow_up_by_the_account_manager(self):
        feedback = self.feedback_of(self.answer(self.alice, 3, "Nobody answered my emails."))
        activity = self.follow_ups(self.alice)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.account_manager)
        self.assertIn("Nobody answered my emails.", str(activity.note))
        self.assertIn("3", activity.summary)
        self.assertFalse(self.review_mails(feedback))

    def test_a_promoter_is_asked_for_a_review(self):
        feedback = self.feedback_of(self.answer(self.alice, 10, "Best coffee in town."))
        mail = self.review_mails(feedback)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.alice)
        self.assertIn("review", mail.body_html)
        self.assertFalse(self.follow_ups(self.alice))

    # ------------------------------------------------------------
    # INVITATIONS
    # ------------------------------------------------------------

    def order(self, partners, days_ago):
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
                }
                for partner in partners
            ]
        )
        orders.action_confirm()
        orders.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return orders

    def run_cron(self):
        with self.enter_registry_test_mode():
            self.env.ref("positive_reinforcement.ir_cron_send_feedback_invitations").method_direct_trigger()
        self.env.invalidate_all()

    def invitations(self, partners):
        return self.env["survey.user_input"].search(
            [("survey_id", "=", self.nps.id), ("partner_id", "in", partners.ids)]
        )

    def test_cron_invites_a_due_customer_once_per_period(self):
        self.order(self.alice, days_ago=10)
        self.order(self.bob, days_ago=2)
        self.run_cron()
        invitation = self.invitations(self.alice | self.bob)
        self.assertEqual(invitation.partner_id, self.alice, "Bob's order is not a week old yet")
        self.assertEqual(invitation.pr_company_id, self.company)
        mail = self.env["mail.mail"].search([("model", "=", "survey.user_input"), ("res_id", "=", invitation.id)])
        self.assertEqual(mail.recipient_ids, self.alice)
        self.assertIn(invitation.access_token, mail.body_html)
        self.run_cron()
        self.order(self.alice, days_ago=8)
        self.run_cron()
        self.assertEqual(self.invitations(self.alice), invitation, "invited once within the period")
        with freeze_time(fields.Datetime.now() + timedelta(days=100)):
            self.order(self.alice, days_ago=7)
            self.run_cron()
            self.assertEqual(len(self.invitations(self.alice)), 2, "a new period, a new purchase: a new invitation")

    def test_cron_skips_customers_invited_recently(self):
        earlier = self.nps.sudo()._create_answer(partner=self.alice, check_attempts=False)
        self.env.cr.execute(
            SQL(
                "UPDATE survey_user_input SET create_date = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(days=30),
                earlier.id,
            )
        )
        self.order(self.alice | self.bob, days_ago=10)
        self.run_cron()
        self.assertEqual(self.invitations(self.alice), earlier)
        self.assertEqual(len(self.invitations(self.bob)), 1)

    def test_manual_invitation_respects_the_period(self):
        self.nps.sudo()._create_answer(partner=self.alice, check_attempts=False)
        carol = self.env["res.partner"].create({"name": "Carol Tester"})
        action = self.env.ref("positive_reinforcement.res_partner_action_invite_nps")
        partners = self.alice | self.bob | carol
        result = action.with_user(self.user).with_context(active_model="res.partner", active_ids=partners.ids).run()
        self.assertEqual(len(self.invitations(self.bob)), 1)
        self.assertEqual(len(self.invitations(self.alice)), 1)
        self.assertFalse(self.invitations(carol), "no email address")
        self.assertIn("2 skipped", result["params"]["message"])
        employee = new_test_user(self.env, login="pr_not_a_user", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.bob.with_user(employee).action_pr_invite_nps()

    def test_cron_queries_do_not_grow_with_the_customers(self):
        def customers(count, tag):
            return self.env["res.partner"].create(
                [{"name": f"{tag} {i}", "email": f"{tag}{i}@example.com"} for i in range(count)]
            )

        def cron_queries(partners):
            self.order(partners, days_ago=10)
            self.env.flush_all()
            before = self.cr.sql_log_count
            self.run_cron()
            count = self.cr.sql_log_count - before
            self.assertEqual(len(self.invitations(partners)), len(partners))
            return count

        cron_queries(customers(1, "warm"))
        small, large = cron_queries(customers(3, "small")), cron_queries(customers(12, "large"))
        self.assertEqual(small, large, f"3 customers took {small} queries, 12 took {large}")
        self.order(customers(12, "bound"), days_ago=10)
        with self.assertQueryCount(large):
            self.run_cron()
