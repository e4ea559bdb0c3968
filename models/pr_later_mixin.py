from odoo import fields, models
from odoo.exceptions import AccessError

# Set by the addon alone, in the statement that saves the record (base_automation_later.py).
LATER_FIELD = "pr_to_record"
FAILURES_FIELD = "pr_later_failures"


class PrLaterMixin(models.AbstractModel):
    """Records that automated rules marked *Run Moments Later* run on, within the minute after they are saved.

    The statement that saves the record carries the mark (the company it was saved in, whose rules
    and settings then apply): no query of its own on the paths staff and customers use all day.
    """

    _name = "pr.later.mixin"
    _description = "Records Automated Rules Run On Moments Later"

    pr_to_record = fields.Many2one(
        "res.company",
        string="Waiting for Positive Reinforcement",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The automated rules marked Run Moments Later run on this record within the minute, in this company.",
    )
    pr_later_failures = fields.Integer(
        string="Failed Runs of Positive Reinforcement",
        readonly=True,
        copy=False,
        help="How many times the automated rules run moments later failed on this record (the log says why). "
        "After three it waits until an administrator saves one of the rules again.",
    )

    def _pr_check_later(self, vals_list):
        if any(LATER_FIELD in vals or FAILURES_FIELD in vals for vals in vals_list):
            raise AccessError(
                self.env._("Only Positive Reinforcement marks records for its automated rules, not by hand.")
            )

    def _pr_later_mark(self, vals):
        """``vals`` with the mark that has the rules marked *Run Moments Later* run on the records."""
        return {**vals, LATER_FIELD: self.env.company.id}
