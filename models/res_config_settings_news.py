from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    pr_expiry_reminder_days = fields.Integer(related="company_id.pr_expiry_reminder_days", readonly=False)
    pr_tier_upgrade_email = fields.Boolean(related="company_id.pr_tier_upgrade_email", readonly=False)
    pr_tier_reminder_days = fields.Integer(related="company_id.pr_tier_reminder_days", readonly=False)
