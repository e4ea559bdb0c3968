from odoo import api, fields, models
from odoo.tools import SQL

from .pr_timezone import pr_local_date_sql


class PrOffer(models.Model):
    """One customer's personal offer of a campaign: what they get, why it suits them, and whether they bought."""

    _name = "pr.offer"
    _description = "Personal Offer"
    _order = "id desc"
    _rec_name = "partner_id"

    campaign_id = fields.Many2one("pr.offer.campaign", required=True, ondelete="cascade", index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True, index=True)
    offer_kind = fields.Selection(related="campaign_id.offer_kind", store=True)
    multiplier = fields.Float(related="campaign_id.multiplier")
    date_start = fields.Date(related="campaign_id.date_start", store=True)
    date_end = fields.Date(related="campaign_id.date_end", store=True, readonly=False)
    tier_id = fields.Many2one("pr.tier", readonly=True, help="The customer's tier when the offer was sent.")
    points_available = fields.Integer(
        string="Points", readonly=True, help="The customer's points when the offer was sent."
    )
    product_id = fields.Many2one(
        "product.product", string="Suggested Product", readonly=True, help="Chosen from their own purchases."
    )
    coupon_id = fields.Many2one("loyalty.card", readonly=True)
    coupon_code = fields.Char(related="coupon_id.code")
    order_id = fields.Many2one("sale.order", string="Converted By", compute="_compute_conversion")
    converted = fields.Boolean(compute="_compute_conversion")

    _partner_once = models.UniqueIndex("(campaign_id, partner_id)", "A customer receives a campaign's offer once.")

    def _compute_conversion(self):
        results = self._conversions(self)
        for offer in self:
            order_id, _amount = results[offer.id]
            offer.order_id = order_id
            offer.converted = bool(order_id)

    @api.model
    def _conversions(self, offers):
        """For each offer, the first order confirmed in its window and the window's revenue, in one query.

        :return: ``{offer_id: (order_id or False, untaxed revenue in company currency)}``
        """
        results = dict.fromkeys(offers.ids, (False, 0.0))
        if not offers.ids:
            return results
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT o.id, MIN(so.id), SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
                  FROM pr_offer o
                  JOIN res_company c ON c.id = o.company_id
                  JOIN res_partner p ON (c.pr_wallet_mode = 'contact' AND p.id = o.partner_id)
                                     OR (c.pr_wallet_mode <> 'contact' AND p.commercial_partner_id = o.partner_id)
                  JOIN sale_order so ON so.partner_id = p.id AND so.company_id = o.company_id
                  JOIN %s tz ON tz.company_id = o.company_id
                 WHERE o.id = ANY(%s) AND so.state = 'sale'
                   AND so.date_order >= date_trunc('second', o.create_date) AND %s <= o.date_end
                 GROUP BY o.id
                """,
                self.env["res.company"]._pr_tz_table(),
                offers.ids,
                pr_local_date_sql(SQL("so.date_order"), SQL("tz.tz")),  # up to the end of the company's last day
            )
        )
        for offer_id, order_id, revenue in self.env.cr.fetchall():
            results[offer_id] = (order_id, revenue or 0.0)
        return results

    @api.model
    def _suggest_products(self, holders, company):
        """Each holder's most often bought saleable product, in one query: ``{holder_id: product_id}``."""
        if not holders:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (holder) holder, product_id
                  FROM (SELECT %(holder)s AS holder,
                               l.product_id, COUNT(DISTINCT so.id) AS orders, MAX(so.date_order) AS last_order
                          FROM sale_order_line l
                          JOIN sale_order so ON so.id = l.order_id
                          JOIN res_partner p ON p.id = so.partner_id
                          JOIN product_product pp ON pp.id = l.product_id AND pp.active
                          JOIN product_template pt ON pt.id = pp.product_tmpl_id AND pt.sale_ok AND pt.active
                         WHERE so.state = 'sale' AND so.company_id = %(company)s
                           AND l.is_downpayment IS NOT TRUE AND l.display_type IS NULL AND l.reward_id IS NULL
                         GROUP BY 1, 2) bought
                 WHERE holder = ANY(%(holders)s)
                 ORDER BY holder, orders DESC, last_order DESC, product_id
                """,
                holder=company._pr_holder_sql("p"),
                company=company.id,
                holders=holders.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _issue_coupons(self):
        """One real coupon per coupon offer, created together."""
        offers = self.filtered(lambda o: o.offer_kind == "coupon")
        if not offers:
            return
        program = offers.campaign_id.program_id
        points = min(program.reward_ids.mapped("required_points") or [1.0])
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .create(
                [
                    {"program_id": offer.campaign_id.program_id.id, "partner_id": offer.partner_id.id, "points": points}
                    for offer in offers
                ]
            )
        )
        for offer, card in zip(offers, cards, strict=True):
            offer.coupon_id = card

    @api.model
    def _active_multipliers(self, holder_ids, company_ids, date_from, date_to):
        """Points multipliers of offers running for these holders: ``{(holder, company): [(start, end, factor)]}``."""
        found = {}
        for offer in self.sudo().search_fetch(
            [
                ("offer_kind", "=", "multiplier"),
                ("partner_id", "in", list(holder_ids)),
                ("company_id", "in", list(company_ids)),
                ("date_start", "<=", date_to),
                ("date_end", ">=", date_from),
                ("campaign_id.state", "=", "sent"),
            ],
            ["partner_id", "company_id", "date_start", "date_end", "multiplier"],
        ):
            found.setdefault((offer.partner_id.id, offer.company_id.id), []).append(
                (offer.date_start, offer.date_end, offer.multiplier)
            )
        return found

    @api.model
    def _early_access_granted(self, holder, company, templates, day):
        """The early-access products among ``templates`` that an offer opened to ``holder`` on ``day``."""
        offers = self.sudo().search(
            [
                ("offer_kind", "=", "early_access"),
                ("partner_id", "=", holder.id),
                ("company_id", "=", company.id),
                ("date_start", "<=", day),
                ("date_end", ">=", day),
                ("campaign_id.state", "=", "sent"),
                ("campaign_id.product_ids", "in", templates.ids),
            ]
        )
        return templates & offers.campaign_id.product_ids
