from odoo import fields, models


class PrTierSimulationLine(models.TransientModel):
    _name = "pr.tier.simulation.line"
    _description = "Tier Simulation Line"
    _order = "min_points, id"

    simulation_id = fields.Many2one("pr.tier.simulation", required=True, ondelete="cascade")
    tier_id = fields.Many2one("pr.tier", required=True)
    currency_id = fields.Many2one(related="simulation_id.company_id.currency_id")
    min_points = fields.Integer(string="Points to Qualify")
    min_revenue = fields.Monetary(string="Minimum Revenue")
    current_count = fields.Integer(string="Customers Now", readonly=True)
    simulated_count = fields.Integer(string="Customers Simulated", readonly=True)
