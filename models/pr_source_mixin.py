from odoo import api, fields, models


class PrSourceMixin(models.AbstractModel):
    """The document a ledger entry or a behaviour event comes from, on any model."""

    _name = "pr.source.mixin"
    _description = "Source Document"

    source_model = fields.Char(readonly=True)
    source_id = fields.Many2oneReference(string="Source ID", model_field="source_model", readonly=True)
    source_ref = fields.Reference(
        selection="_selection_source_ref", string="Source Document", compute="_compute_source_ref"
    )

    @api.model
    def _selection_source_ref(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        for record in self:
            if record.source_model in self.env and record.source_id:
                record.source_ref = f"{record.source_model},{record.source_id}"
            else:
                record.source_ref = False
