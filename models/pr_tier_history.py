from odoo import fields, models


class PrTierHistory(models.Model):
    _name = "pr.tier.history"
    _description = "Tier Change"
    _order = "date desc, id desc"

    member_id = fields.Many2one("pr.member", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="member_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="member_id.company_id", store=True)
    date = fields.Date(required=True, readonly=True)
    from_tier_id = fields.Many2one("pr.tier", string="From", readonly=True, ondelete="restrict")
    to_tier_id = fields.Many2one("pr.tier", string="To", readonly=True, ondelete="restrict")
    reason = fields.Selection(
        [("upgrade", "Upgrade"), ("downgrade", "Downgrade after review")], required=True, readonly=True
    )
    points_window = fields.Integer(string="Points in Window", readonly=True)
