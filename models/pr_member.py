from datetime import timedelta

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import SQL

from ..pr_lib.tiers import assign_tiers, review_decision

EXPIRING_SOON_DAYS = 30


class PrMember(models.Model):
    """A customer's membership of the loyalty program in one company.

    Balances and the tier are maintained by the reward ledger alone (see ``pr.ledger.entry``), under a
    row lock on this record, so that two transactions posting for the same customer can neither lose an
    update nor overdraw. Nobody writes them by hand: a correction is a ledger entry.
    """

    _name = "pr.member"
    _description = "Loyalty Member"
    _order = "points_lifetime desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="restrict")
    tier_id = fields.Many2one("pr.tier", string="Tier", readonly=True, index="btree_not_null", ondelete="restrict")
    tier_color = fields.Integer(related="tier_id.color")
    tier_since = fields.Date(readonly=True)
    review_date = fields.Date(
        string="Next Tier Review",
        readonly=True,
        help="The tier can only go down at this date, once the grace period after it is over.",
    )
    points_available = fields.Integer(string="Available Points", readonly=True, aggregator="sum")
    points_pending = fields.Integer(
        string="Pending Points", readonly=True, aggregator="sum", help="Earned but not yet spendable."
    )
    points_lifetime = fields.Integer(
        string="Lifetime Points", readonly=True, aggregator="sum", help="Points earned since the beginning."
    )
    points_expiring = fields.Integer(
        string="Expiring within 30 Days", readonly=True, aggregator="sum", help="Points that expire within 30 days."
    )
    points_window = fields.Integer(
        string="Points in Tier Window",
        readonly=True,
        aggregator="sum",
        help="Points earned over the rolling tier window: what the tier follows from.",
    )
    entry_ids = fields.One2many("pr.ledger.entry", "member_id", string="Ledger")
    tier_history_ids = fields.One2many("pr.tier.history", "member_id", string="Tier History")

    _partner_company_uniq = models.Constraint(
        "UNIQUE(partner_id, company_id)", "A customer is a member only once per company."
    )

    def action_view_ledger(self):
        self.ensure_one()
        return self.partner_id.action_view_pr_ledger()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _pr_refresh(self, upgrade_only=False):
        """Recompute window points and points expiring soon, then move tiers, for these members.

        Upgrades happen at once; with ``upgrade_only`` false (the daily review), members whose review
        date and grace period are over also go down to the tier they qualify for.
        """
        if not self:
            return
        today = fields.Date.context_today(self)
        stats = self._pr_read_stats(today)
        cr = self.env.cr
        cr.execute(SQL(
            """
            UPDATE pr_member m SET points_window = d.window_points, points_expiring = d.expiring
              FROM unnest(%s::int[], %s::int[], %s::int[]) AS d(id, window_points, expiring)
             WHERE m.id = d.id
            """,
            list(stats), [s["window"] for s in stats.values()], [s["expiring"] for s in stats.values()],
        ))
        self.invalidate_recordset(["points_window", "points_expiring"])
        self._pr_review_tiers(stats, today, upgrade_only)

    def _pr_read_stats(self, today):
        """Per member: points earned in the tier window, points due to expire, total spent (net of reversals)."""
        self.env.cr.execute(self._pr_stats_sql(today))
        stats = {}
        for row in self.env.cr.dictfetchall():
            stats[row["id"]] = {
                "window": int(row["window_points"]),
                "expire_now": max(0, int(row["due_now"]) - int(row["spent"])),
                "expiring": max(0, int(row["due_soon"]) - int(row["spent"])),
            }
        return stats

    def _pr_stats_sql(self, today):
        return SQL(
            """
            WITH reversals AS (
                SELECT reversed_entry_id AS id, SUM(points) AS points FROM pr_ledger_entry
                 WHERE member_id = ANY(%(ids)s) AND kind = 'reversal' GROUP BY reversed_entry_id
            ), net AS (
                SELECT e.member_id, e.kind, e.date, e.state, e.expiry_date,
                       e.points + COALESCE(r.points, 0) AS points
                  FROM pr_ledger_entry e LEFT JOIN reversals r ON r.id = e.id
                 WHERE e.member_id = ANY(%(ids)s) AND e.kind <> 'reversal'
            )
            SELECT m.id,
                   COALESCE(SUM(n.points) FILTER (WHERE n.kind = 'earn' AND n.state = 'available'
                       AND n.date >= %(today)s::date - make_interval(months => c.pr_tier_window_months)), 0)
                       AS window_points,
                   COALESCE(SUM(n.points) FILTER (WHERE n.points > 0 AND n.state = 'available'
                       AND n.expiry_date <= %(today)s), 0) AS due_now,
                   COALESCE(SUM(n.points) FILTER (WHERE n.points > 0 AND n.state = 'available'
                       AND n.expiry_date <= %(soon)s), 0) AS due_soon,
                   COALESCE(-SUM(n.points) FILTER (WHERE n.points < 0), 0) AS spent
              FROM pr_member m
              JOIN res_company c ON c.id = m.company_id
              LEFT JOIN net n ON n.member_id = m.id
             WHERE m.id = ANY(%(ids)s)
             GROUP BY m.id, c.pr_tier_window_months
            """,
            ids=self.ids, today=today, soon=today + timedelta(days=EXPIRING_SOON_DAYS),
        )

    def _pr_review_tiers(self, stats, today, upgrade_only):
        changes, extended = [], []
        for company, members in self.grouped("company_id").items():
            tiers = self.env["pr.tier"].sudo()._get_ranked(company)
            rank_of = {tier.id: rank for rank, tier in enumerate(tiers)}
            revenue = members._pr_read_revenue(today) if any(tiers.mapped("min_revenue")) else {}
            qualified = assign_tiers(
                [stats[m.id]["window"] for m in members],
                [revenue.get(m.id, 0.0) for m in members],
                [(t.min_points, t.min_revenue) for t in tiers],
            )
            grace = timedelta(days=company.pr_tier_grace_days)
            for member, qualified_rank in zip(members, qualified.tolist(), strict=True):
                current = rank_of.get(member.tier_id.id, -1)
                due = not upgrade_only and (not member.review_date or member.review_date <= today)
                grace_over = due and (not member.review_date or member.review_date + grace <= today)
                new_rank, reason = review_decision(current, qualified_rank, due, grace_over)
                if reason:
                    new_tier = tiers[new_rank] if new_rank >= 0 else tiers.browse()
                    changes.append((member, new_tier, reason, stats[member.id]["window"]))
                elif due and qualified_rank >= current:
                    extended.append(member)
        self._pr_apply_tier_changes(changes, today)
        if extended:
            self.env.cr.execute(SQL(
                """
                UPDATE pr_member m SET review_date = %s::date + make_interval(months => c.pr_tier_window_months)
                  FROM res_company c WHERE c.id = m.company_id AND m.id = ANY(%s)
                """,
                today, [m.id for m in extended],
            ))
            self.invalidate_recordset(["review_date"])

    def _pr_read_revenue(self, today):
        """Untaxed invoiced revenue of each member over its company's tier window, in company currency."""
        self.env["account.move"].flush_model(["move_type", "state", "partner_id", "commercial_partner_id",
                                               "company_id", "invoice_date", "amount_untaxed_signed"])
        self.env.cr.execute(SQL(
            """
            SELECT m.id, COALESCE(SUM(am.amount_untaxed_signed), 0)
              FROM pr_member m
              JOIN res_company c ON c.id = m.company_id
              JOIN account_move am ON am.company_id = m.company_id
                   AND (CASE WHEN c.pr_wallet_mode = 'contact' THEN am.partner_id ELSE am.commercial_partner_id END)
                       = m.partner_id
                   AND am.state = 'posted' AND am.move_type IN ('out_invoice', 'out_refund')
                   AND am.invoice_date >= %s::date - make_interval(months => c.pr_tier_window_months)
             WHERE m.id = ANY(%s)
             GROUP BY m.id
            """,
            today, self.ids,
        ))
        return dict(self.env.cr.fetchall())

    def _pr_apply_tier_changes(self, changes, today):
        """Move members to their new tier, keep the history and tell it in the customer's chatter."""
        if not changes:
            return
        self.env.cr.execute(SQL(
            """
            UPDATE pr_member m SET tier_id = d.tier_id, tier_since = %s,
                   review_date = %s::date + make_interval(months => c.pr_tier_window_months)
              FROM unnest(%s::int[], %s::int[]) AS d(id, tier_id), res_company c
             WHERE m.id = d.id AND c.id = m.company_id
            """,
            today, today, [member.id for member, *_ in changes], [tier.id or None for _m, tier, *_ in changes],
        ))
        self.env["pr.tier.history"].sudo().create([
            {
                "member_id": member.id,
                "date": today,
                "from_tier_id": member.tier_id.id,
                "to_tier_id": tier.id,
                "reason": reason,
                "points_window": points,
            }
            for member, tier, reason, points in changes
        ])
        reasons = dict(self.env["pr.tier.history"]._fields["reason"]._description_selection(self.env))
        bodies = {}
        for member, tier, reason, points in changes:
            body = self.env._(
                "Loyalty tier changed from %(old)s to %(new)s (%(reason)s, %(points)s points earned in the "
                "tier window).",
                old=member.tier_id.name or self.env._("no tier"),
                new=tier.name or self.env._("no tier"),
                reason=reasons[reason],
                points=points,
            )
            bodies[member.partner_id.id] = Markup("<p>%s</p>") % body
        self.env["res.partner"].browse(list(bodies))._message_log_batch(bodies=bodies)
        self.invalidate_recordset(["tier_id", "tier_since", "review_date"])

    def _pr_expire_points(self):
        """Post the expiry of points past their date, first to expire first out. Safe to run twice."""
        today = fields.Date.context_today(self)
        stats = self._pr_read_stats(today)
        movements = [
            {
                "member_id": member_id,
                "kind": "expire",
                "points": -values["expire_now"],
                "idempotency_key": f"expire:{member_id}:{today}",
                "reason": self.env._("Points expired"),
            }
            for member_id, values in stats.items()
            if values["expire_now"] > 0
        ]
        expired = self.env["pr.ledger.entry"].sudo()._post_movements(movements)
        # Time moved on for the others too: their window and soon-expiring points change.
        (self - expired.member_id)._pr_refresh(upgrade_only=True)
        return expired

    def _pr_cron_batches(self, method, batch_size):
        """Call ``method`` on every member, ``batch_size`` at a time, committing after each batch."""
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=self.search_count([]))
        last_id = 0
        while batch := self.search([("id", ">", last_id)], order="id", limit=batch_size):
            getattr(batch, method)()
            last_id = batch[-1].id
            if not cron._commit_progress(len(batch)):
                break

    def _pr_daily_review(self):
        self._pr_refresh(upgrade_only=False)

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    def _cron_review_tiers(self, batch_size=1000):
        self._pr_cron_batches("_pr_daily_review", batch_size)
