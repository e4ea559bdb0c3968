from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .pr_access import PR_USER, check_reward_switch


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

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # before Odoo reads the survey of the answers: nothing for who may not create
        self._pr_check_testimonial_switch(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._pr_check_testimonial_switch([vals])
        return super().write(vals)

    def _pr_check_testimonial_switch(self, vals_list):
        check_reward_switch(
            self,
            vals_list,
            "pr_testimonial",
            PR_USER,
            lambda env: env._("Only Positive Reinforcement users can mark answers as a testimonial that earns points."),
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
