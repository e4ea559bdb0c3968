from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        """Move the points of merged contacts first: Odoo's generic re-pointing would hit the
        ledger's guard (posted entries never change) and the one-member-per-company rule."""
        self.env["pr.member"].sudo()._pr_merge_partners(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)
