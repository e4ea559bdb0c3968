from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    pr_checkout_enabled = fields.Boolean(related="company_id.pr_checkout_enabled", readonly=False)
    pr_checkout_min_points = fields.Integer(related="company_id.pr_checkout_min_points", readonly=False)
    pr_checkout_max_share = fields.Float(related="company_id.pr_checkout_max_share", readonly=False)
    pr_checkout_tier_ids = fields.Many2many(related="company_id.pr_checkout_tier_ids", readonly=False)
