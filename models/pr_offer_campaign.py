from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..pr_lib.rfm import SEGMENTS
from .pr_i18n import acting_reader_lang

OFFER_KINDS = [
    ("coupon", "Coupon"),
    ("multiplier", "Points multiplier"),
    ("early_access", "Early access"),
    ("survey", "NPS survey invitation"),
]


class PrOfferCampaign(models.Model):
    """A personal offer sent to a segment of customers, and how many of them bought within its window."""

    _name = "pr.offer.campaign"
    _inherit = ["mail.thread", "pr.segment.mixin"]
    _description = "Offer Campaign"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True, translate=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    # Segment
    tier_ids = fields.Many2many("pr.tier", string="Tiers", help="Only customers in these tiers; empty for all.")
    category_id = fields.Many2one(
        "product.category",
        string="Bought From Category",
        help="Only customers who bought from this category (or its subcategories)…",
    )
    category_idle_days = fields.Integer(
        string="But Not In The Last (days)",
        help="…and not in this many days. 0: having bought from it is enough.",
    )
    rfm_segment = fields.Selection(SEGMENTS, string="RFM Segment", help="Only customers of this RFM segment.")
    tag_ids = fields.Many2many("res.partner.category", string="Tags", help="Customers with any of these tags.")
    lang = fields.Selection(
        selection="_get_languages", string="Language", help="Only customers who speak this language."
    )
    partner_domain = fields.Char(string="Other Conditions", default="[]")
    experiment_variant_id = fields.Many2one(
        "pr.experiment.variant",
        string="Experiment Group",
        check_company=True,
        index="btree_not_null",
        ondelete="restrict",
        domain="[('is_control', '=', False), ('experiment_id.state', '!=', 'done')]",
        help="Only the customers assigned to this group of the experiment receive the offer.",
    )
    # Offer
    offer_kind = fields.Selection(OFFER_KINDS, string="Offer", required=True, default="coupon")
    program_id = fields.Many2one(
        "loyalty.program",
        string="Coupon Program",
        check_company=True,
        domain="[('program_type', 'in', ('coupons', 'next_order_coupons', 'promotion'))]",
        help="Each recipient receives a coupon of this program.",
    )
    multiplier = fields.Float(default=2.0, digits=(16, 2), help="Points earned in the window are multiplied by this.")
    product_ids = fields.Many2many(
        "product.template",
        string="Early Access Products",
        help="Recipients may buy these before their public date, whatever their tier.",
    )
    date_start = fields.Date(string="Offer Starts", required=True, default=fields.Date.context_today)
    date_end = fields.Date(
        string="Offer Ends",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=30),
        help="A purchase by a recipient up to this date counts as a conversion.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email",
        domain="[('model', '=', 'pr.offer')]",
        default=lambda self: self.env.ref("positive_reinforcement.mail_template_pr_offer", raise_if_not_found=False),
    )
    note = fields.Html(string="Message", translate=True, help="A few words for the customers, above their offer.")
    offer_ids = fields.One2many("pr.offer", "campaign_id", string="Offers")
    recipient_count = fields.Integer(string="Recipients", compute="_compute_results")
    conversion_count = fields.Integer(string="Conversions", compute="_compute_results")
    conversion_rate = fields.Float(string="Conversion Rate (%)", compute="_compute_results", digits=(16, 1))
    revenue = fields.Monetary(compute="_compute_results", help="Untaxed revenue of the recipients in the window.")
    currency_id = fields.Many2one(related="company_id.currency_id")

    _multiplier_above_one = models.Constraint("CHECK(multiplier >= 1)", "A points multiplier must be at least 1.")
    _idle_days_positive = models.Constraint("CHECK(category_idle_days >= 0)", "The number of days cannot be negative.")
    _dates_ordered = models.Constraint("CHECK(date_start <= date_end)", "An offer cannot end before it starts.")

    @api.model
    def _get_languages(self):
        return self.env["res.lang"].get_installed()

    def _compute_results(self):
        results = self.env["pr.offer"]._conversions(self.offer_ids)
        for campaign in self:
            offers = campaign.offer_ids
            converted = [results[offer.id] for offer in offers if results[offer.id][0]]
            campaign.recipient_count = len(offers)
            campaign.conversion_count = len(converted)
            campaign.conversion_rate = 100.0 * len(converted) / len(offers) if offers else 0.0
            campaign.revenue = sum(amount for _order, amount in converted)

    @api.constrains("experiment_variant_id")
    def _check_experiment_variant(self):
        self.experiment_variant_id._check_control_gets_nothing()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_preview_segment(self):
        """The customers who would receive the offer now."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Segment of %(campaign)s", campaign=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", self._segment().ids)],
        }

    def action_send(self):
        """Create one personal offer per customer of the segment and email it, in their own language."""
        self.ensure_one()
        self.check_access("write")
        if self.state != "draft":
            raise UserError(self.env._("The campaign %(campaign)s was already sent.", campaign=self.name))
        self._check_offer()
        holders = self._segment()
        if not holders:
            raise UserError(
                self.env._(
                    "No customer matches the segment of campaign %(campaign)s: nothing was sent.", campaign=self.name
                )
            )
        if self.offer_kind == "survey":
            # The survey's own invitation is the email; the once-per-period rule of invitations applies.
            holders = self.env["pr.feedback"]._invite_partners(holders, self.company_id)
            if not holders:
                raise UserError(
                    self.env._(
                        "Every customer of campaign %(campaign)s was invited to the NPS survey within the period: "
                        "nothing was sent.",
                        campaign=self.name,
                    )
                )
        offers = self.env["pr.offer"].create(self._prepare_offer_vals(holders))
        offers._issue_coupons()
        self.state = "sent"
        if self.mail_template_id and self.offer_kind != "survey":
            self.mail_template_id.send_mail_batch(offers.ids, raise_exception=True)
        reader = self.with_context(lang=acting_reader_lang(self.env, self.company_id))
        self.message_post(
            body=reader.env._("Offer sent to %(count)s customers.", count=len(offers)),
            message_type="notification",
        )
        return True

    def action_cancel(self):
        """Withdraw the offer: unused coupons are emptied and multipliers stop at once."""
        self.check_access("write")
        for campaign in self.filtered(lambda c: c.state == "sent"):
            unused = campaign.offer_ids.coupon_id.filtered(lambda card: not card.use_count)
            unused.sudo().points = 0
            campaign.offer_ids.write({"date_end": campaign.company_id._pr_today()})
        self.state = "cancelled"
        return True

    def action_view_offers(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Offers"),
            "res_model": "pr.offer",
            "view_mode": "list,form",
            "domain": [("campaign_id", "=", self.id)],
        }

    # ------------------------------------------------------------
    # SEGMENT
    # ------------------------------------------------------------

    def _get_segment_domain(self):
        """The customers of the segment, as a domain on contacts that hold points."""
        domain = Domain("active", "=", True) & Domain("email", "!=", False)
        if self.company_id.pr_wallet_mode == "commercial":
            domain &= Domain("parent_id", "=", False)
        if self.tier_ids:
            members = (
                self.env["pr.member"]
                .sudo()
                ._read_group(
                    [("company_id", "=", self.company_id.id), ("tier_id", "in", self.tier_ids.ids)],
                    [],
                    ["partner_id:array_agg"],
                )
            )
            domain &= Domain("id", "in", members[0][0] or [])
        if self.rfm_segment:
            members = (
                self.env["pr.member"]
                .sudo()
                ._read_group(
                    [("company_id", "=", self.company_id.id), ("rfm_segment", "=", self.rfm_segment)],
                    [],
                    ["partner_id:array_agg"],
                )
            )
            domain &= Domain("id", "in", members[0][0] or [])
        if self.category_id:
            domain &= Domain("id", "in", self._category_buyers())
        if self.tag_ids:
            domain &= Domain("category_id", "in", self.tag_ids.ids)
        if self.lang:
            domain &= Domain("lang", "=", self.lang)
        if self.experiment_variant_id:
            assigned = (
                self.env["pr.experiment.assignment"]
                .sudo()
                ._search([("variant_id", "=", self.experiment_variant_id.id)])
            )
            domain &= Domain("id", "in", assigned.subselect("partner_id"))
        return domain & Domain(self._get_partner_domain())

    def _segment(self):
        # Customers who entered the experiment's segment since it started join their group first.
        self.experiment_variant_id.experiment_id.sudo()._assign_newcomers()
        return self.env["res.partner"].search(self._get_segment_domain())

    def _category_buyers(self):
        """Holders who bought from the category, but not within the idle days, in one query."""
        holder = self.company_id._pr_holder_sql("p")
        # Not bought since the start of the company's day that many days ago.
        since = self.company_id._pr_day_start(self.company_id._pr_today() - timedelta(days=self.category_idle_days))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT %(holder)s
                  FROM sale_order_line l
                  JOIN sale_order so ON so.id = l.order_id
                  JOIN res_partner p ON p.id = so.partner_id
                  JOIN product_product pp ON pp.id = l.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN product_category pc ON pc.id = pt.categ_id
                 WHERE so.state = 'sale' AND so.company_id = %(company)s
                   AND (pc.id = %(categ)s OR pc.parent_path LIKE %(path)s)
                 GROUP BY 1
                HAVING %(idle)s = 0 OR MAX(so.date_order) < %(since)s
                """,
                holder=holder,
                company=self.company_id.id,
                categ=self.category_id.id,
                path=f"{self.category_id.parent_path}%",
                idle=self.category_idle_days,
                since=since,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------
    # OFFERS
    # ------------------------------------------------------------

    def _check_offer(self):
        if self.offer_kind == "coupon" and not self.program_id.active:
            raise UserError(self.env._("The campaign %(campaign)s needs an active coupon program.", campaign=self.name))
        if self.offer_kind == "early_access" and not self.product_ids:
            raise UserError(
                self.env._("The campaign %(campaign)s needs products for early access.", campaign=self.name)
            )
        if self.offer_kind == "survey" and not self.company_id.pr_nps_survey_id:
            raise UserError(self.env._("Choose the NPS survey in the Positive Reinforcement settings first."))
        if self.date_end < self.company_id._pr_today():
            raise UserError(self.env._("The offer of campaign %(campaign)s has already ended.", campaign=self.name))

    def _prepare_offer_vals(self, holders):
        members = {
            member.partner_id.id: member
            for member in self.env["pr.member"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", holders.ids), ("company_id", "=", self.company_id.id)],
                ["partner_id", "tier_id", "points_available"],
            )
        }
        suggestions = self.env["pr.offer"]._suggest_products(holders, self.company_id)
        return [
            {
                "campaign_id": self.id,
                "partner_id": holder.id,
                "tier_id": members[holder.id].tier_id.id if holder.id in members else False,
                "points_available": members[holder.id].points_available if holder.id in members else 0,
                "product_id": suggestions.get(holder.id, False),
            }
            for holder in holders
        ]
