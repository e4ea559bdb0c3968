from odoo import api, fields, models
from odoo.exceptions import UserError


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    pr_is_mirror = fields.Boolean(
        string="Mirrors the Reward Ledger",
        readonly=True,
        copy=False,
        help="The program through which customers pay with their points: each card shows its holder's "
        "available points, as the reward ledger says.",
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_pr_mirror(self):
        if any(program.pr_is_mirror for program in self):
            raise UserError(
                self.env._("The points program cannot be deleted: disable Points at Checkout in the settings instead.")
            )
