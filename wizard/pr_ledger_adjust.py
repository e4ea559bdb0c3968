from odoo import api, fields, models
from odoo.exceptions import UserError


class PrLedgerAdjust(models.TransientModel):
    """Manager's correction of a balance: an adjustment, or the reversal of one entry."""

    _name = "pr.ledger.adjust"
    _description = "Adjust Points"

    partner_id = fields.Many2one("res.partner", string="Customer")
    reversed_entry_id = fields.Many2one("pr.ledger.entry", string="Entry to Reverse", readonly=True)
    points = fields.Integer(required=True, help="Points to add; a negative number removes points.")
    reason = fields.Char(required=True)
    available_points = fields.Integer(related="partner_id.pr_points_available", string="Available Now")

    @api.model
    def default_get(self, fields_list):
        self.check_access("create")
        values = super().default_get(fields_list)
        entry = self.env["pr.ledger.entry"].browse(values.get("reversed_entry_id"))
        if entry:
            values.update(partner_id=entry.partner_id.id, points=-entry.reversible_points)
        return values

    def action_post(self):
        self.check_access("write")
        self.ensure_one()
        if not self.points:
            raise UserError(self.env._("Enter a number of points other than zero."))
        if not (self.reason or "").strip():
            raise UserError(self.env._("A reason is required."))
        movement = {
            "points": self.points,
            "reason": self.reason.strip(),
            # The wizard id makes a double click post once only.
            "idempotency_key": f"manual:{self.id}:{self.create_date.isoformat()}",
        }
        if self.reversed_entry_id:
            movement.update(kind="reversal", reversed_entry_id=self.reversed_entry_id.id)
        elif self.partner_id:
            movement.update(kind="adjust", partner_id=self.partner_id.id)
        else:
            raise UserError(self.env._("Choose the customer whose points you adjust."))
        entry = self.env["pr.ledger.entry"]._post_movements([movement])
        return {
            "type": "ir.actions.act_window",
            "res_model": "pr.ledger.entry",
            "res_id": entry.id,
            "view_mode": "form",
            "target": "current",
        }
