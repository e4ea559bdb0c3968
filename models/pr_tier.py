from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PrTier(models.Model):
    _name = "pr.tier"
    _description = "Loyalty Tier"
    _order = "sequence, min_points, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share the tier between companies.")
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    min_points = fields.Integer(
        string="Points to Qualify",
        required=True,
        default=0,
        help="Points a customer must earn over the rolling tier window (see Settings) to reach this tier.",
    )
    min_revenue = fields.Monetary(
        string="Minimum Invoiced Revenue",
        help="Optional: invoiced revenue (untaxed, over the same window) also required to reach this tier.",
    )
    multiplier = fields.Float(
        string="Points Multiplier",
        default=1.0,
        digits=(16, 2),
        help="Points earned by members of this tier are multiplied by this factor.",
    )
    benefits = fields.Html(translate=True)
    color = fields.Integer()
    member_count = fields.Integer(string="Members", compute="_compute_member_count")

    _min_points_positive = models.Constraint("CHECK(min_points >= 0)", "The points to qualify cannot be negative.")
    _min_revenue_positive = models.Constraint(
        "CHECK(min_revenue IS NULL OR min_revenue >= 0)", "The minimum revenue cannot be negative."
    )
    _multiplier_positive = models.Constraint("CHECK(multiplier > 0)", "The points multiplier must be positive.")

    @api.constrains("min_points", "company_id", "active")
    def _check_threshold_unique(self):
        """Two active tiers of one company qualifying at the same points would make the tier a matter of chance."""
        active = self.filtered("active")
        if not active:
            return
        counts = self._read_group(
            [("active", "=", True), ("min_points", "in", active.mapped("min_points"))],
            ["company_id", "min_points"],
            ["__count"],
        )
        for company, min_points, count in counts:
            if count > 1 and any(t.company_id == company and t.min_points == min_points for t in active):
                raise ValidationError(
                    self.env._(
                        "Another active tier already qualifies at %(points)s points: give each tier its own threshold.",
                        points=min_points,
                    )
                )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for tier in self:
            tier.currency_id = (tier.company_id or self.env.company).currency_id

    def _compute_member_count(self):
        counts = dict(self.env["pr.member"]._read_group([("tier_id", "in", self.ids)], ["tier_id"], ["__count"]))
        for tier in self:
            tier.member_count = counts.get(tier, 0)

    def action_view_members(self):
        self.ensure_one()
        self.env["pr.member"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_member_action")
        action["domain"] = [("tier_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.model
    def _get_ranked(self, company):
        """Active tiers that apply to ``company``, lowest rank first: the order in which they are reached."""
        tiers = self.search([("company_id", "in", [company.id, False])])
        return tiers.sorted(lambda t: (t.min_points, t.min_revenue, t.sequence, t.id))
