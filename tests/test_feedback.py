from odoo.exceptions import ValidationError
from odoo.tests import tagged

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
        cls.company.pr_feedback_user_id = False
        cls.account_manager = cls.user
        cls.alice.user_id = cls.account_manager
        cls.Feedback = cls.env["pr.feedback"]

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
        rating = order.rating_apply(5, token=token, feedback="Lovely.")
        feedback = self.feedback_of(rating)
        self.assertRecordValues(
            feedback, [{"partner_id": self.bob.id, "metric": "csat", "score": 5, "category": "satisfied"}]
        )
        self.assertFalse(self.follow_ups(self.bob))
        # The customer changes their mind: the same row follows, and now it needs a follow-up.
        order.rating_apply(1, token=token, feedback="It arrived broken.")
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
