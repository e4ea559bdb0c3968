from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.tools import SQL

from ..pr_lib.tiers import assign_tiers, review_decision
from .pr_i18n import _lt
from .pr_timezone import pr_local_date_sql

EXPIRING_SOON_DAYS = 30
# The balances of a member just created, with no ledger entry yet.
NEW_MEMBER_ZEROS = ("points_available", "points_pending", "points_lifetime", "points_expiring", "points_window")


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
    tier_id = fields.Many2one("pr.tier", readonly=True, index="btree_not_null", ondelete="restrict")
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
    # What the soon-expiring points follow from, as last read from the ledger (see _pr_read_stats):
    # positive lots expiring within the horizon, and debits; posting moves them the same day.
    stats_due_soon = fields.Integer(readonly=True)
    stats_spent = fields.Integer(readonly=True)
    stats_date = fields.Date(readonly=True)
    entry_ids = fields.One2many("pr.ledger.entry", "member_id", string="Ledger")
    tier_history_ids = fields.One2many("pr.tier.history", "member_id")

    _partner_company_uniq = models.Constraint(
        "UNIQUE(partner_id, company_id)", "A customer is a member only once per company."
    )

    def action_view_ledger(self):
        self.ensure_one()
        self.check_access("read")
        return self.partner_id.action_view_pr_ledger()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _pr_refresh(self, upgrade_only=False, deltas=None, known_stats=None):
        """Move balances by ``deltas``, recompute window points and points expiring soon, and move tiers.

        All of it in one UPDATE of the members, plus one INSERT of the tier history when tiers change.

        :param deltas: ``{member_id: (available, pending, earned)}`` just posted to the ledger
        :param upgrade_only: upgrades happen at once; with ``upgrade_only`` false (the daily review),
            members whose review date and grace period are over also go down to the tier they qualify for.
        :param known_stats: stats of members known without reading their ledger (``PostingBatch.known_stats``);
            the others' are read from it
        """
        if not self:
            return
        stats = {i: values for i, values in (known_stats or {}).items() if i in self.ids}
        unknown = self.browse([i for i in self.ids if i not in stats])
        if unknown:
            stats.update(unknown._pr_read_stats())
        reviewed = stats
        if upgrade_only and deltas is not None:
            # Spending, expiring or taking back points never raises a tier: members whose balances only
            # went down are not reviewed.
            reviewed = {i: values for i, values in stats.items() if max(deltas.get(i, (0, 0, 0))) > 0}
        changes, reviews = self._pr_review_tiers(reviewed, upgrade_only) if reviewed else ([], {})
        deltas = deltas or {}
        ids = list(stats)
        moves = [deltas.get(member_id, (0, 0, 0)) for member_id in ids]
        new_tiers = {change[0]: change[2] for change in changes}
        self._pr_write_balances(
            SQL(
                """
            UPDATE pr_member m
               SET points_available = m.points_available + d.available,
                   points_pending = m.points_pending + d.pending,
                   points_lifetime = m.points_lifetime + d.earned,
                   points_window = d.window_points,
                   points_expiring = d.expiring,
                   tier_id = CASE WHEN d.tier_changed THEN d.tier_id ELSE m.tier_id END,
                   tier_since = CASE WHEN d.tier_changed THEN d.today ELSE m.tier_since END,
                   review_date = COALESCE(d.review_date, m.review_date),
                   stats_due_soon = d.due_soon, stats_spent = d.spent, stats_date = d.today,
                   write_uid = %s, write_date = %s
              FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::bool[], %s::int[],
                          %s::date[], %s::int[], %s::int[], %s::date[])
                   AS d(id, available, pending, earned, window_points, expiring, tier_changed, tier_id, review_date,
                        due_soon, spent, today)
             WHERE m.id = d.id
            """,
                self.env.uid,
                fields.Datetime.now(),
                ids,
                [move[0] for move in moves],
                [move[1] for move in moves],
                [move[2] for move in moves],
                [stats[i]["window"] for i in ids],
                [stats[i]["expiring"] for i in ids],
                [i in new_tiers for i in ids],
                [new_tiers.get(i) for i in ids],
                [reviews.get(i) for i in ids],
                [stats[i]["due_soon"] for i in ids],
                [stats[i]["spent"] for i in ids],
                [stats[i]["today"] for i in ids],
            ),
            deltas,
        )
        self.invalidate_recordset(
            [
                "points_available",
                "points_pending",
                "points_lifetime",
                "points_window",
                "points_expiring",
                "tier_id",
                "tier_since",
                "review_date",
            ]
        )
        self._pr_log_tier_changes(changes, stats)

    def _pr_write_balances(self, update, deltas):
        """Run ``update``, the UPDATE of the members' balances and tiers (a hook: see the points mirror).

        :param deltas: ``{member_id: (available, pending, earned)}`` that ``update`` moves
        """
        self.env.cr.execute(update)

    def _pr_read_stats(self, today=None):
        """Per member: its tier and review date, points earned in the tier window, points to expire now and soon.

        :param today: the day to read them on; by default, today in each member's company (``today`` in the
            stats), whose days the tier window counts in
        """
        self.env.cr.execute(self._pr_stats_sql(today))
        stats = {}
        for row in self.env.cr.dictfetchall():
            stats[row["id"]] = {
                "company_id": row["company_id"],
                "partner_id": row["partner_id"],
                "tier_id": row["tier_id"],
                "review_date": row["review_date"],
                "today": row["today"],
                "window": int(row["window_points"]),
                "expire_now": max(0, int(row["due_now"]) - int(row["spent"])),
                "expiring": max(0, int(row["due_soon"]) - int(row["spent"])),
                "due_soon": int(row["due_soon"]),
                "spent": int(row["spent"]),
            }
        return stats

    def _pr_stats_sql(self, today):
        # A credit is a lot that debits consume first-to-expire first; its reversals shrink the lot itself.
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
            SELECT m.id, m.partner_id, m.company_id, m.tier_id, m.review_date, t.today,
                   COALESCE(SUM(n.points) FILTER (WHERE n.kind = 'earn' AND n.state = 'available'
                       AND %(day)s >= t.today - make_interval(months => c.pr_tier_window_months)), 0)
                       AS window_points,
                   COALESCE(SUM(n.points) FILTER (WHERE n.points > 0 AND n.state = 'available'
                       AND n.expiry_date <= t.today), 0) AS due_now,
                   COALESCE(SUM(n.points) FILTER (WHERE n.points > 0 AND n.state = 'available'
                       AND n.expiry_date <= t.today + %(soon)s), 0) AS due_soon,
                   COALESCE(-SUM(n.points) FILTER (WHERE n.points < 0), 0) AS spent
              FROM pr_member m
              JOIN res_company c ON c.id = m.company_id
              JOIN (SELECT company_id, tz, COALESCE(%(today)s::date, %(local_today)s) AS today FROM %(tz)s tz) t
                   ON t.company_id = m.company_id
              LEFT JOIN net n ON n.member_id = m.id
             WHERE m.id = ANY(%(ids)s)
             GROUP BY m.id, c.pr_tier_window_months, t.today
            """,
            ids=self.ids,
            day=pr_local_date_sql(SQL("n.date"), SQL("t.tz")),  # the window counts the company's days
            tz=self.env["res.company"]._pr_tz_table(),
            today=today,
            local_today=pr_local_date_sql(SQL("%s::timestamp", fields.Datetime.now()), SQL("tz.tz")),
            soon=EXPIRING_SOON_DAYS,
        )

    def _pr_review_tiers(self, stats, upgrade_only):
        """Decide tier changes and new review dates, writing nothing.

        :return: ``(changes, reviews)``: ``changes`` is a list of ``(member_id, old_tier_id, new_tier_id,
            reason, points_window)``, ``reviews`` maps member ids to their next review date
        """
        changes, reviews = [], {}
        by_company = defaultdict(list)
        for member_id, values in stats.items():
            by_company[values["company_id"]].append(member_id)
        for company_id, member_ids in by_company.items():
            company = self.env["res.company"].browse(company_id)
            today = stats[member_ids[0]]["today"]  # the company's
            tiers = self.env["pr.tier"].sudo()._get_ranked(company)
            rank_of = {tier.id: rank for rank, tier in enumerate(tiers)}
            if any(tiers.mapped("min_revenue")):
                revenue = self.browse(member_ids)._pr_read_revenue(today)
            else:
                revenue = {}
            qualified = assign_tiers(
                [stats[i]["window"] for i in member_ids],
                [revenue.get(i, 0.0) for i in member_ids],
                [(t.min_points, t.min_revenue) for t in tiers],
            )
            grace = timedelta(days=company.pr_tier_grace_days)
            next_review = today + relativedelta(months=company.pr_tier_window_months)
            for member_id, qualified_rank in zip(member_ids, qualified.tolist(), strict=True):
                member = stats[member_id]
                current = rank_of.get(member["tier_id"], -1)
                review = member["review_date"]
                due = not upgrade_only and (not review or review <= today)
                grace_over = due and (not review or review + grace <= today)
                new_rank, reason = review_decision(current, qualified_rank, due, grace_over)
                if reason:
                    new_tier = tiers[new_rank].id if new_rank >= 0 else None
                    changes.append((member_id, member["tier_id"], new_tier, reason, member["window"]))
                    reviews[member_id] = next_review
                elif due and qualified_rank >= current:
                    reviews[member_id] = next_review
        return changes, reviews

    def _pr_read_revenue(self, today):
        """Untaxed invoiced revenue of each member over its company's tier window, in company currency."""
        self.env["account.move"].flush_model(
            [
                "move_type",
                "state",
                "partner_id",
                "commercial_partner_id",
                "company_id",
                "invoice_date",
                "amount_untaxed_signed",
            ]
        )
        self.env.cr.execute(
            SQL(
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
                today,
                self.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _pr_log_tier_changes(self, changes, stats):
        """Keep the history of tier changes, in one INSERT.

        The customers' chatter hears of them from a cron that logs the history in batches (see
        ``pr.tier.history``), so that posting points never waits for mail messages.
        """
        if not changes:
            return
        member_ids, old_tiers, new_tiers, reasons, points = (list(column) for column in zip(*changes, strict=True))
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO pr_tier_history (member_id, partner_id, company_id, date, from_tier_id, to_tier_id, reason,
                                         points_window, chatter_logged, create_uid, create_date, write_uid,
                                         write_date)
            SELECT d.member_id, d.partner_id, d.company_id, d.today, d.from_tier, d.to_tier, d.reason, d.points,
                   FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(ids)s::int[], %(partners)s::int[], %(companies)s::int[], %(old)s::int[], %(new)s::int[],
                          %(reasons)s::varchar[], %(points)s::int[], %(todays)s::date[])
                   AS d(member_id, partner_id, company_id, from_tier, to_tier, reason, points, today)
            RETURNING member_id, id
            """,
                todays=[stats[i]["today"] for i in member_ids],
                uid=self.env.uid,
                now=fields.Datetime.now(),
                ids=member_ids,
                partners=[stats[i]["partner_id"] for i in member_ids],
                companies=[stats[i]["company_id"] for i in member_ids],
                old=old_tiers,
                new=new_tiers,
                reasons=reasons,
                points=points,
            )
        )
        history_ids = dict(self.env.cr.fetchall())
        self.env.ref("positive_reinforcement.ir_cron_log_tier_changes")._trigger()
        self.invalidate_recordset(["tier_history_ids"])
        self.env["pr.tier.history"].invalidate_model()
        self.env["pr.tier.history"]._pr_emit_changes(changes, stats, history_ids)

    def _pr_expire_points(self):
        """Post the expiry of points past their date, first to expire first out. Safe to run twice."""
        stats = self._pr_read_stats()  # each company's today
        movements = [
            {
                "member_id": member_id,
                "kind": "expire",
                "points": -values["expire_now"],
                "idempotency_key": f"expire:{member_id}:{values['today']}",
                "reason": _lt("Points expired"),
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

    # ------------------------------------------------------------
    # MERGING CONTACTS
    # ------------------------------------------------------------

    def _pr_merge_partners(self, src_partners, dst_partner):
        """Give ``dst_partner`` the ledger, members and tier history of ``src_partners``.

        The entries keep their points, dates and keys: only whose they are changes, under a setting
        of this transaction that the ledger's guard accepts for these three columns and nothing else.
        The balances of a source member are added to the destination's member of the same company
        (created when missing), then the source member goes.
        """
        if not src_partners:
            return
        cr = self.env.cr
        self.env.flush_all()
        src_members = self.search([("partner_id", "in", src_partners.ids)])
        if not src_members and not self.env["pr.ledger.entry"].sudo().search_count(
            [("contact_id", "in", src_partners.ids)], limit=1
        ):
            return
        dst_members = {member.company_id: member for member in self.search([("partner_id", "=", dst_partner.id)])}
        deltas = {}
        cr.execute(SQL("SELECT set_config('pr.ledger_merge', 'on', true)"))
        for member in src_members:
            target = dst_members.get(member.company_id)
            if not target:
                # The source member becomes the destination's: only its customer changes.
                cr.execute(SQL("UPDATE pr_member SET partner_id = %s WHERE id = %s", dst_partner.id, member.id))
                cr.execute(
                    SQL("UPDATE pr_ledger_entry SET partner_id = %s WHERE member_id = %s", dst_partner.id, member.id)
                )
                cr.execute(
                    SQL("UPDATE pr_tier_history SET partner_id = %s WHERE member_id = %s", dst_partner.id, member.id)
                )
                dst_members[member.company_id] = member
                continue
            cr.execute(
                SQL(
                    "UPDATE pr_ledger_entry SET member_id = %s, partner_id = %s WHERE member_id = %s",
                    target.id,
                    dst_partner.id,
                    member.id,
                )
            )
            cr.execute(
                SQL(
                    "UPDATE pr_tier_history SET member_id = %s, partner_id = %s WHERE member_id = %s",
                    target.id,
                    dst_partner.id,
                    member.id,
                )
            )
            previous = deltas.get(target.id, (0, 0, 0))
            deltas[target.id] = (
                previous[0] + member.points_available,
                previous[1] + member.points_pending,
                previous[2] + member.points_lifetime,
            )
            cr.execute(SQL("DELETE FROM pr_member WHERE id = %s", member.id))
        cr.execute(
            SQL(
                "UPDATE pr_ledger_entry SET contact_id = %s WHERE contact_id = ANY(%s)",
                dst_partner.id,
                src_partners.ids,
            )
        )
        cr.execute(SQL("SELECT set_config('pr.ledger_merge', 'off', true)"))
        self.invalidate_model()
        self.env["pr.ledger.entry"].invalidate_model()
        self.env["pr.tier.history"].invalidate_model()
        merged = self.browse(list(deltas))
        merged._pr_refresh(upgrade_only=True, deltas=deltas)
