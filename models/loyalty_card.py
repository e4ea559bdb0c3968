from odoo import models


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    def write(self, vals):
        """The points of a card of the points program follow the reward ledger: whatever writes them is corrected."""
        result = super().write(vals)
        if "points" in vals and not self.env.context.get("pr_mirror_sync"):
            mirror = self.sudo().filtered("program_id.pr_is_mirror")
            if mirror:
                mirror.flush_recordset(["points"])
                self.env["pr.member"]._pr_sync_cards(card_ids=mirror.ids)
        return result
