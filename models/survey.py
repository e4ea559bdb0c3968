from odoo import fields, models


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    pr_feedback = fields.Boolean(
        string="Rewards Feedback",
        help="Completing this survey counts as giving valuable feedback.",
    )


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    pr_testimonial = fields.Boolean(
        string="Testimonial",
        help="Mark the answers as a testimonial to reward the customer for it.",
    )
