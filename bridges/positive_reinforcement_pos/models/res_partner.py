from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # What the till shows of the selected customer; the cashier reads it, the ledger stays the truth.
    pr_pos_holder_ref = fields.Integer(
        string="Points Holder at the Till",
        compute="_compute_pr_pos_loyalty",
        groups="point_of_sale.group_pos_user",
        help="Technical: the points holder.",
    )
    pr_pos_tier_ref = fields.Integer(
        string="Tier ID at the Till", compute="_compute_pr_pos_loyalty", groups="point_of_sale.group_pos_user"
    )
    pr_pos_tier_name = fields.Char(
        string="Tier at the Till", compute="_compute_pr_pos_loyalty", groups="point_of_sale.group_pos_user"
    )
    pr_pos_points = fields.Integer(
        string="Points at the Till", compute="_compute_pr_pos_loyalty", groups="point_of_sale.group_pos_user"
    )

    def _compute_pr_pos_loyalty(self):
        holders = {partner: partner._pr_holder() for partner in self}
        members = {
            member.partner_id: member
            for member in self.env["pr.member"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", [holder.id for holder in holders.values()]),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        }
        for partner in self:
            holder = holders[partner]
            member = members.get(holder)
            partner.pr_pos_holder_ref = holder.id
            partner.pr_pos_tier_ref = member.tier_id.id if member else 0
            partner.pr_pos_tier_name = member.tier_id.sudo().name if member else False
            partner.pr_pos_points = member.points_available if member else 0

    @api.model
    def _load_pos_data_fields(self, config):
        return [
            *super()._load_pos_data_fields(config),
            "pr_pos_holder_ref",
            "pr_pos_tier_ref",
            "pr_pos_tier_name",
            "pr_pos_points",
        ]
