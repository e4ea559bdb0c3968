from collections import defaultdict

from markupsafe import Markup

from odoo import fields, models

from .pr_i18n import reader_langs


class PrBadgeGrant(models.Model):
    """A badge a customer earned: written by the granting only, never edited; a manager may withdraw it."""

    _name = "pr.badge.grant"
    _description = "Badge Earned"
    _order = "date desc, id desc"
    _rec_name = "badge_id"
    _check_company_auto = True

    badge_id = fields.Many2one("pr.badge", required=True, readonly=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        help="The customer who holds the points: the commercial entity, or the contact when each contact has a wallet.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    image_128 = fields.Image(related="badge_id.image_128")
    description = fields.Html(related="badge_id.description")

    _badge_partner_company_uniq = models.Constraint(
        "UNIQUE(badge_id, partner_id, company_id)", "A customer earns a badge only once per company."
    )

    def _notify(self):
        """Email each customer their badge, in their language, and note it in their chatter, all in batch."""
        if not self:
            return
        default = self.env.ref("positive_reinforcement.mail_template_pr_badge_earned", raise_if_not_found=False)
        by_template = defaultdict(list)
        bodies = defaultdict(Markup)
        langs = {}  # the note is for whoever looks after the customer, in their language
        for company, grants in self.grouped("company_id").items():
            langs.update(reader_langs(company, grants.partner_id))
        for grant in self.sorted("id"):
            template = grant.badge_id.mail_template_id or default
            if template:
                by_template[template].append(grant.id)
            reader = grant.with_context(lang=langs.get(grant.partner_id.id, "en_US"))
            bodies[grant.partner_id.id] += Markup("<p>%s</p>") % reader.env._(
                "Earned the badge %(badge)s.", badge=reader.badge_id.name
            )
        for template, grant_ids in by_template.items():
            template.sudo().send_mail_batch(grant_ids)
        self.env["res.partner"].browse(list(bodies)).sudo()._message_log_batch(bodies=dict(bodies))
