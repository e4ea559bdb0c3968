from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from .res_company import pr_holder_by_row_sql

CRITERIA = [
    ("behavior", "Behaviour repeated"),
    ("tier", "Tier reached"),
    ("referrals", "Qualified referrals"),
    ("anniversary", "Customer anniversary"),
]
# Referrals that count for the referrer: qualified, whether or not the rewards went out yet.
QUALIFIED_STATES = ["qualified", "rewarded"]


class PrBadge(models.Model):
    """An achievement customers earn once, on a criterion, and keep: shown on their form and emailed to them."""

    _name = "pr.badge"
    _inherit = ["image.mixin"]
    _description = "Badge"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    description = fields.Html(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to grant the badge in every company, for what is done in each."
    )
    criterion = fields.Selection(CRITERIA, required=True, default="behavior")
    behavior_id = fields.Many2one("pr.behavior", string="Behaviour", ondelete="restrict")
    tier_id = fields.Many2one("pr.tier", check_company=True, ondelete="restrict", help="This tier or a higher one.")
    threshold = fields.Integer(
        default=1,
        help="Behaviour: processed events of the behaviour. Referrals: qualified referrals as referrer. "
        "Anniversary: years since the first confirmed order.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email",
        domain="[('model', '=', 'pr.badge.grant')]",
        help="The email the customer receives with the badge; empty for the standard one.",
    )
    grant_ids = fields.One2many("pr.badge.grant", "badge_id", string="Grants")
    grant_count = fields.Integer(string="Earned By", compute="_compute_grant_count")

    def _compute_grant_count(self):
        counts = dict(self.env["pr.badge.grant"]._read_group([("badge_id", "in", self.ids)], ["badge_id"], ["__count"]))
        for badge in self:
            badge.grant_count = counts.get(badge, 0)

    @api.constrains("criterion", "behavior_id", "tier_id", "threshold")
    def _check_criterion(self):
        for badge in self:
            if badge.criterion == "behavior" and not badge.behavior_id:
                raise ValidationError(self.env._("The badge %(badge)s needs a behaviour.", badge=badge.name))
            if badge.criterion == "tier" and not badge.tier_id:
                raise ValidationError(self.env._("The badge %(badge)s needs a tier.", badge=badge.name))
            if badge.criterion in ("behavior", "referrals") and badge.threshold <= 0:
                raise ValidationError(self.env._("The badge %(badge)s needs a count of at least 1.", badge=badge.name))
            if badge.criterion == "anniversary" and badge.threshold <= 0:
                raise ValidationError(
                    self.env._("The badge %(badge)s needs at least 1 year of anniversary.", badge=badge.name)
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_grants(self):
        self.ensure_one()
        self.env["pr.badge.grant"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_badge_grant_action")
        action["domain"] = [("badge_id", "=", self.id)]
        return action

    def action_grant_now(self):
        """Grant these badges now to every customer who meets their criterion, rather than wait for the cron."""
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager"):
            raise AccessError(self.env._("Only a Positive Reinforcement manager can grant badges."))
        self.check_access("write")
        grants = self.sudo()._grant()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if grants else "info",
                "message": self.env._("%(count)s customers earned a badge.", count=len(grants)),
            },
        }

    # ------------------------------------------------------------
    # GRANTING
    # ------------------------------------------------------------

    @api.model
    def _grant_badges(self, partners=None):
        """Grant every active badge to the customers who meet its criterion (among ``partners``), without committing."""
        return self.sudo().search([("active", "=", True)])._grant(partners)

    def _grant(self, partners=None):
        """Grant these badges to the holders who meet their criterion and do not have them yet.

        Each badge costs one INSERT that finds its eligible holders and skips those already granted,
        whatever the number of customers; the emails and chatter notes of the new grants go in batch.

        :param partners: only these customers (mapped to their points holders), e.g. after a purchase
        :return: the new grants
        """
        grants = self.env["pr.badge.grant"]
        if not self:
            return grants
        self.env.flush_all()
        companies = self.env["res.company"].sudo()
        if any(badge.criterion == "tier" and not badge.company_id for badge in self):
            # The companies whose customers have a tier: where a badge of any company's tier can be earned.
            groups = self.env["pr.member"].sudo()._read_group([("tier_id", "!=", False)], ["company_id"])
            companies = companies.browse(company.id for (company,) in groups)
        for badge in self:
            grants |= badge._insert_grants(partners, companies)
        # The grants were inserted in SQL: forget what the ORM computed from the former ones.
        self.invalidate_model(["grant_ids", "grant_count"])
        self.env["res.partner"].invalidate_model(["pr_badge_grant_ids", "pr_badge_count"])
        grants._notify()
        self.env["pr.outgoing.event"]._pr_emit(
            {
                "kind": "badge_earned",
                "partner_id": grant.partner_id.id,
                "company_id": grant.company_id.id,
                "date": grant.date,
                "res_model": grant._name,
                "res_id": grant.id,
                "payload": {
                    "badge_id": grant.badge_id.id,
                    "badge_name": grant.badge_id.with_context(lang="en_US").name,
                },
            }
            for grant in grants.sudo()
        )
        return grants

    def _insert_grants(self, partners, companies):
        self.ensure_one()
        eligible = getattr(self, f"_get_{self.criterion}_eligible_query")(companies)
        if eligible is None:
            return self.env["pr.badge.grant"]
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO pr_badge_grant (badge_id, partner_id, company_id, date,
                                            create_uid, create_date, write_uid, write_date)
                SELECT %(badge)s, e.holder_id, e.company_id, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (%(eligible)s) AS e
                  JOIN res_partner h ON h.id = e.holder_id
                  JOIN res_company c ON c.id = e.company_id
                 WHERE h.active AND (h.company_id IS NULL OR h.company_id = e.company_id) %(only)s
                ON CONFLICT (badge_id, partner_id, company_id) DO NOTHING
                RETURNING id
                """,
                badge=self.id,
                now=now,
                uid=self.env.uid,
                eligible=eligible,
                only=self._get_partner_condition(partners),
            )
        )
        return self.env["pr.badge.grant"].browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _get_partner_condition(self, partners):
        """The holders of ``partners``, in SQL: themselves or their commercial entity, per company."""
        if partners is None:
            return SQL()
        return SQL(
            "AND e.holder_id = ANY(CASE WHEN c.pr_wallet_mode = 'contact' THEN %s::int[] ELSE %s::int[] END)",
            partners.ids,
            partners.commercial_partner_id.ids,
        )

    def _get_company_condition(self, column):
        return SQL("AND %s = %s", SQL.identifier(*column.split(".")), self.company_id.id) if self.company_id else SQL()

    def _get_behavior_eligible_query(self, companies):
        """Holders with at least ``threshold`` processed events of the behaviour, per company."""
        return SQL(
            """
            SELECT %(holder)s AS holder_id, ev.company_id
              FROM pr_event ev
              JOIN res_partner p ON p.id = ev.partner_id
              JOIN res_company c ON c.id = ev.company_id
             WHERE ev.behavior_id = %(behavior)s AND ev.state = 'processed' %(company)s
             GROUP BY 1, 2
            HAVING COUNT(*) >= %(threshold)s
            """,
            holder=pr_holder_by_row_sql(),
            behavior=self.behavior_id.id,
            company=self._get_company_condition("ev.company_id"),
            threshold=self.threshold,
        )

    def _get_tier_eligible_query(self, companies):
        """Members whose tier ranks at or above the badge's tier, in the ranking of their company."""
        pairs = []
        Tier = self.env["pr.tier"].sudo()
        for company in self.company_id or companies:
            ranked = Tier._get_ranked(company)
            if self.tier_id in ranked:
                index = list(ranked).index(self.tier_id)
                pairs += [(company.id, tier.id) for tier in ranked[index:]]
        if not pairs:
            return None
        return SQL(
            """
            SELECT m.partner_id AS holder_id, m.company_id
              FROM pr_member m
              JOIN unnest(%s::int[], %s::int[]) AS t(company_id, tier_id)
                   ON t.company_id = m.company_id AND t.tier_id = m.tier_id
            """,
            [pair[0] for pair in pairs],
            [pair[1] for pair in pairs],
        )

    def _get_referrals_eligible_query(self, companies):
        """Referrers with at least ``threshold`` qualified referrals, per company."""
        return SQL(
            """
            SELECT %(holder)s AS holder_id, r.company_id
              FROM pr_referral r
              JOIN res_partner p ON p.id = r.referrer_id
              JOIN res_company c ON c.id = r.company_id
             WHERE r.state = ANY(%(states)s) %(company)s
             GROUP BY 1, 2
            HAVING COUNT(*) >= %(threshold)s
            """,
            holder=pr_holder_by_row_sql(),
            states=QUALIFIED_STATES,
            company=self._get_company_condition("r.company_id"),
            threshold=self.threshold,
        )

    def _get_anniversary_eligible_query(self, companies):
        """Holders whose commercial entity confirmed its first order ``threshold`` years ago or more, per company."""
        return SQL(
            """
            SELECT o.holder_id, o.company_id
              FROM (SELECT %(holder)s AS holder_id, so.company_id,
                           MIN(so.date_order) OVER (PARTITION BY so.company_id, p.commercial_partner_id) AS first_order
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                      JOIN res_company c ON c.id = so.company_id
                     WHERE so.state = 'sale' %(company)s) AS o
             WHERE o.first_order <= %(cutoff)s
             GROUP BY 1, 2
            """,
            holder=pr_holder_by_row_sql(),
            company=self._get_company_condition("so.company_id"),
            cutoff=fields.Datetime.now() - relativedelta(years=self.threshold),
        )

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    @api.model
    def _cron_grant_badges(self):
        """Grant the badges one after the other, committing after each: a timeout loses one badge's work at most."""
        cron = self.env["ir.cron"]
        badges = self.sudo().search([("active", "=", True)])
        cron._commit_progress(remaining=len(badges))
        for badge in badges:
            badge._grant()
            if not cron._commit_progress(1):
                break
