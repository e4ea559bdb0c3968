from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pr_points_validity_months = fields.Integer(related="company_id.pr_points_validity_months", readonly=False)
    pr_pending_days = fields.Integer(related="company_id.pr_pending_days", readonly=False)
    pr_points_per_currency = fields.Float(related="company_id.pr_points_per_currency", readonly=False)
    pr_tier_window_months = fields.Integer(related="company_id.pr_tier_window_months", readonly=False)
    pr_tier_grace_days = fields.Integer(related="company_id.pr_tier_grace_days", readonly=False)
    pr_event_max_age_days = fields.Integer(related="company_id.pr_event_max_age_days", readonly=False)
    pr_task_user_id = fields.Many2one(
        related="company_id.pr_task_user_id", readonly=False, domain="[('share', '=', False), ('active', '=', True)]"
    )
    pr_point_value = fields.Monetary(related="company_id.pr_point_value", readonly=False)
    pr_surprise_budget = fields.Monetary(related="company_id.pr_surprise_budget", readonly=False)
    pr_wallet_mode = fields.Selection(related="company_id.pr_wallet_mode", readonly=False)
    pr_release_on = fields.Selection(related="company_id.pr_release_on", readonly=False)
    pr_referral_qualify_on = fields.Selection(related="company_id.pr_referral_qualify_on", readonly=False)
    pr_referral_min_amount = fields.Monetary(related="company_id.pr_referral_min_amount", readonly=False)
    pr_referral_days = fields.Integer(related="company_id.pr_referral_days", readonly=False)
    pr_referral_cap = fields.Integer(related="company_id.pr_referral_cap", readonly=False)
    pr_referral_signup_limit = fields.Integer(related="company_id.pr_referral_signup_limit", readonly=False)
    pr_referral_ip_retention_days = fields.Integer(related="company_id.pr_referral_ip_retention_days", readonly=False)
    pr_referral_invite_limit = fields.Integer(related="company_id.pr_referral_invite_limit", readonly=False)
    pr_referral_join_limit = fields.Integer(related="company_id.pr_referral_join_limit", readonly=False)
    pr_referral_coupon_program_id = fields.Many2one(related="company_id.pr_referral_coupon_program_id", readonly=False)
    pr_nps_survey_id = fields.Many2one(related="company_id.pr_nps_survey_id", readonly=False)
    pr_nps_delay_days = fields.Integer(related="company_id.pr_nps_delay_days", readonly=False)
    pr_nps_period_days = fields.Integer(related="company_id.pr_nps_period_days", readonly=False)
    pr_feedback_user_id = fields.Many2one(related="company_id.pr_feedback_user_id", readonly=False)
