from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..pr_lib.tiers import count_per_tier


class PrTierSimulation(models.TransientModel):
    """Shows how many customers each tier would hold under edited thresholds, before they are saved."""

    _name = "pr.tier.simulation"
    _description = "Tier Simulation"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    line_ids = fields.One2many("pr.tier.simulation.line", "simulation_id", string="Tiers")
    unranked_count = fields.Integer(string="Customers in No Tier", readonly=True)
    member_count = fields.Integer(string="Customers", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        self._check_simulation_rights(company)
        values["line_ids"] = [
            fields.Command.create(
                {
                    "tier_id": tier.id,
                    "min_points": tier.min_points,
                    "min_revenue": tier.min_revenue,
                }
            )
            for tier in self.env["pr.tier"]._get_ranked(company)
        ]
        return values

    @api.model_create_multi
    def create(self, vals_list):
        Company = self.env["res.company"]
        self._check_simulation_rights(
            Company.browse({vals["company_id"] for vals in vals_list if vals.get("company_id")})
            | (self.env.company if any(not vals.get("company_id") for vals in vals_list) else Company)
        )
        simulations = super().create(vals_list)
        simulations._simulate()
        return simulations

    def action_simulate(self):
        self._check_simulation_rights()
        self.ensure_one()
        self._simulate()
        return self._reopen()

    def action_apply(self):
        """Save the edited thresholds on the tiers."""
        self._check_simulation_rights()
        self.ensure_one()
        for line in self.line_ids:
            line.tier_id.write({"min_points": line.min_points, "min_revenue": line.min_revenue})
        return {"type": "ir.actions.act_window_close"}

    def _check_simulation_rights(self, companies=None):
        """Managers simulate the tiers of the companies they work in (by default, these simulations'),
        nobody else and nowhere else."""
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager"):
            raise AccessError(self.env._("Only a Positive Reinforcement manager can simulate tiers."))
        if (self.company_id if companies is None else companies) - self.env.companies:
            raise AccessError(self.env._("You can only simulate the tiers of the companies you are working in."))

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Tier Simulation"),
        }

    def _simulate(self):
        for simulation in self:
            lines = simulation.line_ids.sorted(lambda line: (line.min_points, line.min_revenue, line.tier_id.sequence))
            if any(line.min_points < 0 or line.min_revenue < 0 for line in lines):
                raise UserError(self.env._("Thresholds cannot be negative."))
            earned, revenue, current = simulation._read_population()
            thresholds = [(line.min_points, line.min_revenue) for line in lines]
            counts, unranked = count_per_tier(earned, revenue, thresholds)
            for line, count in zip(lines, counts, strict=True):
                line.write({"simulated_count": count, "current_count": current.get(line.tier_id.id, 0)})
            simulation.write({"unranked_count": unranked, "member_count": len(earned)})

    def _read_population(self):
        """Window points and window revenue of every member of the company, and today's tier counts."""
        members = self.env["pr.member"].sudo().search([("company_id", "=", self.company_id.id)])
        if not members:
            return [], [], {}
        today = self.company_id._pr_today()
        stats = members._pr_read_stats(today)
        revenue = members._pr_read_revenue(today) if any(self.line_ids.mapped("min_revenue")) else {}
        current = {}
        for member in members:
            current[member.tier_id.id] = current.get(member.tier_id.id, 0) + 1
        return [stats[m.id]["window"] for m in members], [revenue.get(m.id, 0.0) for m in members], current
