from odoo import fields, models


class PrExperimentAssignment(models.Model):
    """A customer's group in an experiment: decided once by the hash, and kept for good."""

    _name = "pr.experiment.assignment"
    _description = "Experiment Assignment"
    _order = "experiment_id, variant_id, partner_id"
    _rec_name = "partner_id"

    experiment_id = fields.Many2one("pr.experiment", required=True, index=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, ondelete="cascade")
    variant_id = fields.Many2one(
        "pr.experiment.variant", string="Group", required=True, index=True, readonly=True, ondelete="cascade"
    )
    date = fields.Datetime(
        string="Joined On", required=True, readonly=True, help="When the customer joined the experiment."
    )

    _partner_once = models.UniqueIndex("(experiment_id, partner_id)", "A customer is in one group of an experiment.")
    _partner_idx = models.Index("(partner_id, experiment_id)")
