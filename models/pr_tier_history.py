from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date, formatLang

from .pr_i18n import reader_langs


class PrTierHistory(models.Model):
    _name = "pr.tier.history"
    _description = "Tier Change"
    _order = "date desc, id desc"

    member_id = fields.Many2one("pr.member", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="member_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="member_id.company_id", store=True)
    date = fields.Date(required=True, readonly=True)
    from_tier_id = fields.Many2one("pr.tier", string="From", readonly=True, ondelete="restrict")
    to_tier_id = fields.Many2one("pr.tier", string="To", readonly=True, ondelete="restrict")
    reason = fields.Selection(
        [("upgrade", "Upgrade"), ("downgrade", "Downgrade after review")], required=True, readonly=True
    )
    points_window = fields.Integer(string="Points in Window", readonly=True)
    chatter_logged = fields.Boolean(readonly=True, help="The change was told in the customer's chatter.")

    _chatter_pending_idx = models.Index("(id) WHERE chatter_logged IS NOT TRUE")

    def _log_in_chatter(self):
        """Tell these tier changes in the customers' chatter, one note per change, in batch.

        Each note is written in the language of whoever looks after the customer (see ``reader_langs``).
        """
        langs = {}
        for company, changes in self.grouped("company_id").items():
            langs.update(reader_langs(company, changes.partner_id))
        bodies = {}
        for change in self.sorted("id"):
            change = change.with_context(lang=langs.get(change.partner_id.id, "en_US"))
            reasons = dict(self._fields["reason"]._description_selection(change.env))
            body = change.env._(
                "Loyalty tier changed from %(old)s to %(new)s on %(date)s (%(reason)s, %(points)s points earned "
                "in the tier window).",
                old=change.from_tier_id.name or change.env._("no tier"),
                new=change.to_tier_id.name or change.env._("no tier"),
                date=format_date(change.env, change.date),
                reason=reasons[change.reason],
                points=formatLang(change.env, change.points_window, digits=0),
            )
            partner_id = change.partner_id.id
            bodies[partner_id] = bodies.get(partner_id, Markup()) + Markup("<p>%s</p>") % body
        self.partner_id._message_log_batch(bodies=bodies)
        self.chatter_logged = True

    @api.model
    def _pr_emit_changes(self, changes, stats, history_ids):
        """Tell the automated rules on *Loyalty Events Out* of these tier changes (nothing when none listens).

        :param changes: ``(member id, old tier id, new tier id, reason, window points)`` of each change
        :param history_ids: ``{member id: id of its new history line}``
        """
        self.env["pr.outgoing.event"]._pr_emit(
            {
                "kind": "tier_changed",
                "partner_id": stats[member_id]["partner_id"],
                "company_id": stats[member_id]["company_id"],
                "points": points,
                "tier_id": new_tier,
                "res_model": self._name,
                "res_id": history_ids.get(member_id),
                "payload": {"reason": reason, "from_tier_id": old_tier or False, "member_id": member_id},
            }
            for member_id, old_tier, new_tier, reason, points in changes
        )

    @api.model
    def _cron_log_tier_changes(self, batch_size=500):
        cron = self.env["ir.cron"]
        domain = [("chatter_logged", "=", False)]
        cron._commit_progress(remaining=self.search_count(domain))
        while batch := self.search(domain, order="id", limit=batch_size):
            batch._log_in_chatter()
            if not cron._commit_progress(len(batch)):
                break
