from odoo import api, models


class PrLedgerEntry(models.Model):
    _inherit = "pr.ledger.entry"

    @api.model
    def _post_movements(self, movements):
        """A POS order is paid at the till: its points wait for no invoice to be paid (the return window still applies)."""
        movements = [
            dict(movement, pending=False)
            if movement.get("source_model") == "pos.order"
            and movement.get("pending")
            and not movement.get("release_date")
            else movement
            for movement in movements
        ]
        return super()._post_movements(movements)
