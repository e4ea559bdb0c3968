from odoo import api, fields, models
from odoo.exceptions import UserError

from .pr_access import PR_MANAGER, check_reward_switch


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    pr_feedback = fields.Boolean(
        string="Rewards Feedback",
        help="Completing this survey counts as giving valuable feedback.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # who may not create surveys is refused before anything is read
        self._pr_check_feedback_switch(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._pr_check_feedback_switch([vals])
        return super().write(vals)

    def _pr_check_feedback_switch(self, vals_list):
        check_reward_switch(
            self,
            vals_list,
            "pr_feedback",
            PR_MANAGER,
            lambda env: env._("Only a Positive Reinforcement manager can choose the surveys that reward feedback."),
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
