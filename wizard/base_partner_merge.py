from odoo import models
from odoo.exceptions import UserError


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        """Merging moves the points of the merged contacts: only who may adjust them, where they may."""
        partners = self.env["res.partner"].browse(partner_ids).exists()
        self._check_pr_merge_rights(partners - dst_partner if dst_partner else partners)
        return super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)

    def _check_pr_merge_rights(self, partners):
        """Refuse, before anything is merged, to move points the user could not adjust by hand.

        Points move with contacts that hold a member or ledger entries (as holder or as the contact
        of their commercial entity) in some company: the user must be a Positive Reinforcement manager
        with access to each of those companies. Contacts without points merge as Odoo merges them.
        """
        if not partners:
            return
        companies = self._pr_companies_holding_points(partners)
        if not companies:
            return
        is_manager = self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager")
        if not is_manager or companies - self.env.user.company_ids:
            raise UserError(
                self.env._(
                    "These contacts hold loyalty points. Only a Positive Reinforcement manager with access to "
                    "every company where they hold points can merge them."
                )
            )

    def _pr_companies_holding_points(self, partners):
        """The companies where ``partners`` have a member or ledger entries, in two grouped reads."""
        members = self.env["pr.member"].sudo()._read_group([("partner_id", "in", partners.ids)], ["company_id"])
        entries = (
            self.env["pr.ledger.entry"]
            .sudo()
            ._read_group(
                ["|", ("partner_id", "in", partners.ids), ("contact_id", "in", partners.ids)],
                ["company_id"],
            )
        )
        return self.env["res.company"].sudo().browse({company.id for (company,) in members + entries})

    def _update_foreign_keys(self, src_partners, dst_partner):
        """Move the points of merged contacts first: Odoo's generic re-pointing would hit the
        ledger's guard (posted entries never change) and the one-member-per-company rule."""
        self._check_pr_merge_rights(src_partners)
        self.env["pr.member"].sudo()._pr_merge_partners(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)
