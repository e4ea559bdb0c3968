from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..pr_lib.feedback import SCALES


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    pr_feedback = fields.Boolean(
        string="Rewards Feedback",
        help="Completing this survey counts as giving valuable feedback.",
    )

    def _pr_invite(self, partners, company):
        """Invite these contacts to this survey as Odoo's invitation wizard does, for a whole batch.

        Each contact gets an answer of their own, whose personal link (``get_start_url``) the
        invitation email carries, like ``survey.survey._create_answer(partner=...)`` followed by
        the ``survey.invite`` mail; the answers are created together and the emails sent in one
        batch, so the queries do not grow with the number of contacts.

        :return: the new ``survey.user_input`` records
        """
        self.ensure_one()
        UserInput = self.env["survey.user_input"].sudo()
        if not partners:
            return UserInput
        if not self.active:
            raise UserError(self.env._("The survey %(survey)s is archived: nobody can answer it.", survey=self.title))
        with_invite_token = self.is_attempts_limited and self.access_mode != "public"
        answers = UserInput.with_context(tracking_disable=True).create(
            [
                {
                    "survey_id": self.id,
                    "partner_id": partner.id,
                    "email": partner.email,
                    "nickname": partner.name,
                    "pr_company_id": company.id,
                    "invite_token": UserInput._generate_invite_token() if with_invite_token else False,
                }
                for partner in partners
            ]
        )
        for question in self.question_ids.filtered(
            lambda q: q.question_type == "char_box" and (q.save_as_email or q.save_as_nickname)
        ):
            for answer in answers:
                answer._save_lines(question, answer.email if question.save_as_email else answer.nickname)
        template = self.env.ref("positive_reinforcement.mail_template_pr_nps_invitation")
        template.sudo().send_mail_batch(answers.ids, email_layout_xmlid="mail.mail_notification_light")
        return answers


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    pr_metric = fields.Selection(
        [("nps", "Net Promoter Score"), ("csat", "Customer Satisfaction")],
        string="Feedback Metric",
        help="Answers to this question are counted as the customer's Net Promoter Score (a 0 to 10 scale) "
        "or Customer Satisfaction (a 1 to 5 scale).",
    )

    @api.constrains("pr_metric", "question_type", "scale_min", "scale_max")
    def _check_pr_metric(self):
        for question in self.filtered("pr_metric"):
            low, high = SCALES[question.pr_metric]
            if question.question_type != "scale" or (question.scale_min, question.scale_max) != (low, high):
                raise ValidationError(
                    self.env._(
                        "The question %(question)s counts as %(metric)s: it must be a scale from %(low)s to %(high)s.",
                        question=question.title,
                        metric=dict(self._fields["pr_metric"]._description_selection(self.env))[question.pr_metric],
                        low=low,
                        high=high,
                    )
                )


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    pr_testimonial = fields.Boolean(
        string="Testimonial",
        help="Mark the answers as a testimonial to reward the customer for it.",
    )
    pr_company_id = fields.Many2one(
        "res.company",
        string="Invited For",
        readonly=True,
        help="The company whose feedback invitation this answer comes from; its feedback counts there.",
    )

    def _mark_done(self):
        self._pr_check_feedback_scores()
        result = super()._mark_done()
        self._pr_record_feedback()
        return result

    def _pr_feedback_lines(self):
        """``{answer: [lines of its NPS/CSAT questions]}`` of these answers, skipped ones left out."""
        by_answer = defaultdict(list)
        for line in self.sudo().user_input_line_ids:
            if line.question_id.pr_metric and not line.skipped and line.answer_type == "scale":
                by_answer[line.user_input_id].append(line)
        return by_answer

    def _pr_check_feedback_scores(self):
        """Refuse an NPS or CSAT answer outside its question's scale, before anything is written."""
        for lines in self._pr_feedback_lines().values():
            for line in lines:
                question = line.question_id
                if not question.scale_min <= line.value_scale <= question.scale_max:
                    raise ValidationError(
                        self.env._(
                            "The answer %(score)s to the question %(question)s is outside its scale (%(low)s to %(high)s).",
                            score=line.value_scale,
                            question=question.title,
                            low=question.scale_min,
                            high=question.scale_max,
                        )
                    )

    def _pr_record_feedback(self):
        """Count the NPS/CSAT questions of these completed answers as customer feedback.

        Answers without a contact (anonymous, public link) are not counted: there is nobody to
        follow up or thank, and no holder to report on. Test entries are not counted either. The
        comment is the first free-text answer of the same page, else of the whole survey. A
        survey completed again or a reused token adds nothing: one answer counts once per metric
        (a second question of the same metric in one survey is ignored).
        """
        answers = self.sudo().filtered(lambda a: a.state == "done" and a.partner_id and not a.test_entry)
        vals_list = []
        for answer, lines in answers._pr_feedback_lines().items():
            texts = answer.user_input_line_ids.filtered(
                lambda line: (
                    not line.skipped
                    and line.question_id.question_type in ("text_box", "char_box")
                    and not (line.question_id.save_as_email or line.question_id.save_as_nickname)
                    and (line.value_text_box or line.value_char_box or "").strip()
                )
            ).sorted(lambda line: (line.question_id.sequence, line.id))
            for line in sorted(lines, key=lambda line: (line.question_id.sequence, line.id)):
                text = texts.filtered(lambda t, page=line.question_id.page_id: t.question_id.page_id == page)[:1]
                text = text or texts[:1]
                vals_list.append(
                    {
                        "contact_id": answer.partner_id.id,
                        "company_id": (answer.pr_company_id or answer.partner_id.company_id or self.env.company).id,
                        "date": answer.end_datetime or fields.Datetime.now(),
                        "metric": line.question_id.pr_metric,
                        "score": line.value_scale,
                        "comment": (text.value_text_box or text.value_char_box or "").strip() or False,
                        "source_model": answer._name,
                        "source_id": answer.id,
                    }
                )
        return self.env["pr.feedback"].sudo()._record(vals_list)
