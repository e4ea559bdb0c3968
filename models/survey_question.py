from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..pr_lib.feedback import SCALES


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
