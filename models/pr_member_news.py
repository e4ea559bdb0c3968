from odoo import api, fields, models
from odoo.tools import SQL

from .pr_access import PR_USER
from .pr_timezone import pr_local_date_sql

EXPIRY_TEMPLATE = "positive_reinforcement.mail_template_pr_points_expiring"
UPGRADE_TEMPLATE = "positive_reinforcement.mail_template_pr_tier_upgrade"
KEEP_TIER_TEMPLATE = "positive_reinforcement.mail_template_pr_tier_keep"
TIER_NEWS_CRON = "positive_reinforcement.ir_cron_pr_tier_news"
# Upgrades older than this are not congratulated: turning the email on does not write to every past upgrade.
UPGRADE_NEWS_DAYS = 7


class PrMember(models.Model):
    """What a member is told by email: points about to expire, a new tier, a tier to keep.

    Each email is sent once: the member keeps what it was last told (an expiry date, an upgrade, a
    review date), written by the same statement that decides who gets the email, in the transaction
    that queues it. However often the crons run, a customer hears of each expiry date, upgrade and
    review date once.
    """

    _inherit = "pr.member"  # pylint: disable=consider-merging-classes-inherited

    reminded_expiry_date = fields.Date(
        string="Expiry Reminded",
        readonly=True,
        groups=PR_USER,
        help="The expiry date of points the customer was last reminded of by email.",
    )
    reminded_expiry_points = fields.Integer(
        string="Points Reminded to Expire",
        readonly=True,
        groups=PR_USER,
        help="The points that expire at the date the customer was last reminded of.",
    )
    congratulated_upgrade_id = fields.Many2one(
        "pr.tier.history",
        string="Upgrade Congratulated",
        readonly=True,
        groups=PR_USER,
        ondelete="set null",
        help="The last tier upgrade the customer was congratulated on by email.",
    )
    reminded_review_date = fields.Date(
        string="Tier Review Reminded",
        readonly=True,
        groups=PR_USER,
        help="The tier review date the customer was last told how many points keep the tier.",
    )
    points_to_keep_tier = fields.Integer(
        string="Points to Keep the Tier",
        compute="_compute_points_to_keep_tier",
        groups=PR_USER,
        help="Points still to earn in the tier window to keep the tier at the next review.",
    )
    affordable_reward_ids = fields.Many2many(
        "pr.reward",
        compute="_compute_affordable_reward_ids",
        string="Affordable Rewards",
        groups=PR_USER,
        help="Rewards the customer can redeem now with the available points.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("tier_id.min_points", "points_window")
    def _compute_points_to_keep_tier(self):
        for member in self:
            member.points_to_keep_tier = max(0, member.tier_id.min_points - member.points_window)

    @api.depends("points_available", "tier_id")
    def _compute_affordable_reward_ids(self):
        Reward = self.env["pr.reward"].sudo()
        rewards = Reward.search([("company_id", "in", self.company_id.ids)])
        used = {}
        if rewards.filtered("limit_per_customer"):
            used = {
                (partner.id, reward.id): count
                for partner, reward, count in self.env["pr.redemption"]
                .sudo()
                ._read_group(
                    [
                        ("partner_id", "in", self.partner_id.ids),
                        ("state", "=", "done"),
                        ("reward_id", "in", rewards.ids),
                    ],
                    ["partner_id", "reward_id"],
                    ["__count"],
                )
            }
        for company, members in self.grouped("company_id").items():
            ranks = {tier: rank for rank, tier in enumerate(self.env["pr.tier"].sudo()._get_ranked(company))}
            company_rewards = [reward for reward in rewards if reward.company_id == company]
            for member in members:
                member.affordable_reward_ids = Reward.browse(
                    [
                        reward.id
                        for reward in company_rewards
                        if reward.points_cost <= member.points_available
                        and not reward._refusal(member, used.get((member.partner_id.id, reward.id), 0), ranks)
                    ]
                )

    # ------------------------------------------------------------
    # TIER CHANGES
    # ------------------------------------------------------------

    def _pr_log_tier_changes(self, changes, stats):
        result = super()._pr_log_tier_changes(changes, stats)
        if any(change[3] == "upgrade" for change in changes):
            self.env.ref(TIER_NEWS_CRON)._trigger()  # congratulated soon, not at the next hourly run
        return result

    # ------------------------------------------------------------
    # WHO IS TOLD WHAT
    # ------------------------------------------------------------

    @api.model
    def _pr_news_sql(self):
        """SQL pieces shared by the news: each company's today (``t.today``), and whether the customer
        ``p`` can be emailed (active, an email, not blacklisted)."""
        for model in ("pr.member", "pr.ledger.entry", "pr.tier.history", "pr.tier", "res.company"):
            self.env[model].flush_model()
        self.env["res.partner"].flush_model(["active", "email", "email_normalized"])
        self.env["mail.blacklist"].flush_model(["active", "email"])
        today = SQL(
            "(SELECT company_id, %s AS today FROM %s tz)",
            pr_local_date_sql(SQL("%s::timestamp", fields.Datetime.now()), SQL("tz.tz")),
            self.env["res.company"]._pr_tz_table(),
        )
        reachable = SQL(
            """p.active AND COALESCE(p.email, '') != ''
               AND NOT EXISTS (SELECT 1 FROM mail_blacklist bl WHERE bl.active AND bl.email = p.email_normalized)"""
        )
        return today, reachable

    def _pr_expiry_news(self):
        """``{member_id: (expiry date, points)}``: the next date points of these members expire, within
        their company's reminder days, when they were not reminded of it yet.

        Debits consume the lots first to expire first (as ``_pr_stats_sql``): the points of a date are
        what its lot and the earlier ones hold beyond what was spent, less what expires today already.
        """
        today, reachable = self._pr_news_sql()
        self.env.cr.execute(
            SQL(
                """
            WITH reversals AS (
                SELECT reversed_entry_id AS id, SUM(points) AS points FROM pr_ledger_entry
                 WHERE member_id = ANY(%(ids)s) AND kind = 'reversal' GROUP BY reversed_entry_id
            ), net AS (
                SELECT e.member_id, e.state, e.expiry_date, e.points + COALESCE(r.points, 0) AS points
                  FROM pr_ledger_entry e LEFT JOIN reversals r ON r.id = e.id
                 WHERE e.member_id = ANY(%(ids)s) AND e.kind <> 'reversal'
            ), spent AS (
                SELECT member_id, COALESCE(-SUM(points) FILTER (WHERE points < 0), 0) AS spent
                  FROM net GROUP BY member_id
            ), lots AS (
                SELECT member_id, expiry_date, SUM(points) AS points FROM net
                 WHERE points > 0 AND state = 'available' AND expiry_date IS NOT NULL
                 GROUP BY member_id, expiry_date
            ), due AS (
                SELECT l.member_id, l.expiry_date,
                       GREATEST(0, SUM(l.points) OVER (PARTITION BY l.member_id ORDER BY l.expiry_date) - s.spent)
                           AS points
                  FROM lots l JOIN spent s ON s.member_id = l.member_id
            ), candidates AS (
                SELECT d.member_id, d.expiry_date,
                       d.points - COALESCE(MAX(d.points) FILTER (WHERE d.expiry_date <= t.today)
                                           OVER (PARTITION BY d.member_id), 0) AS points,
                       d.expiry_date > t.today
                       AND d.expiry_date <= t.today + c.pr_expiry_reminder_days AS soon
                  FROM due d
                  JOIN pr_member m ON m.id = d.member_id
                  JOIN res_company c ON c.id = m.company_id
                  JOIN %(today)s t ON t.company_id = m.company_id
            )
            SELECT DISTINCT ON (d.member_id) d.member_id, d.expiry_date, d.points
              FROM candidates d
              JOIN pr_member m ON m.id = d.member_id
              JOIN res_company c ON c.id = m.company_id
              JOIN res_partner p ON p.id = m.partner_id
             WHERE d.soon AND d.points > 0 AND c.pr_expiry_reminder_days > 0
               AND (m.reminded_expiry_date IS NULL OR m.reminded_expiry_date < d.expiry_date)
               AND %(reachable)s
             ORDER BY d.member_id, d.expiry_date
            """,
                ids=self.ids,
                today=today,
                reachable=reachable,
            )
        )
        return {member_id: (day, points) for member_id, day, points in self.env.cr.fetchall()}

    def _pr_send_expiry_reminders(self):
        """Email the members of this batch whose points expire soon, once per expiry date."""
        news = self._pr_expiry_news()
        if not news:
            return self.browse()
        ids = list(news)
        # Only the rows this statement moves are emailed: a run at the same time finds them told already.
        self.env.cr.execute(
            SQL(
                """
            UPDATE pr_member m SET reminded_expiry_date = d.day, reminded_expiry_points = d.points
              FROM unnest(%s::int[], %s::date[], %s::int[]) AS d(id, day, points)
             WHERE m.id = d.id AND (m.reminded_expiry_date IS NULL OR m.reminded_expiry_date < d.day)
         RETURNING m.id
            """,
                ids,
                [news[i][0] for i in ids],
                [news[i][1] for i in ids],
            )
        )
        return self._pr_send_news(EXPIRY_TEMPLATE, [row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _pr_upgrade_news(self, limit):
        """``{member_id: tier history id}``: the latest recent upgrade of members still in that tier, not
        congratulated yet, in companies that congratulate upgrades."""
        today, reachable = self._pr_news_sql()
        self.env.cr.execute(
            SQL(
                """
            SELECT member_id, history_id FROM (
                SELECT DISTINCT ON (h.member_id) h.member_id, h.id AS history_id
                  FROM pr_tier_history h
                  JOIN pr_member m ON m.id = h.member_id AND m.tier_id = h.to_tier_id
                  JOIN res_company c ON c.id = m.company_id
                  JOIN %(today)s t ON t.company_id = m.company_id
                  JOIN res_partner p ON p.id = m.partner_id
                 WHERE h.reason = 'upgrade' AND c.pr_tier_upgrade_email AND h.date >= t.today - %(days)s
                   AND (m.congratulated_upgrade_id IS NULL OR m.congratulated_upgrade_id < h.id)
                   AND %(reachable)s
                 ORDER BY h.member_id, h.id DESC
            ) news ORDER BY member_id LIMIT %(limit)s
            """,
                today=today,
                reachable=reachable,
                days=UPGRADE_NEWS_DAYS,
                limit=limit,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _pr_send_upgrade_news(self, limit):
        """Congratulate up to ``limit`` members on their new tier; return the members emailed."""
        news = self._pr_upgrade_news(limit)
        return self._pr_mark_and_send(UPGRADE_TEMPLATE, "congratulated_upgrade_id", "int", news)

    @api.model
    def _pr_keep_tier_news(self, limit):
        """``{member_id: review date}``: members whose review comes within their company's reminder days
        while they earned fewer points in the window than their tier asks, not told for that date yet."""
        today, reachable = self._pr_news_sql()
        self.env.cr.execute(
            SQL(
                """
            SELECT m.id, m.review_date
              FROM pr_member m
              JOIN pr_tier tier ON tier.id = m.tier_id
              JOIN res_company c ON c.id = m.company_id
              JOIN %(today)s t ON t.company_id = m.company_id
              JOIN res_partner p ON p.id = m.partner_id
             WHERE c.pr_tier_reminder_days > 0 AND m.points_window < tier.min_points
               AND m.review_date > t.today AND m.review_date <= t.today + c.pr_tier_reminder_days
               AND (m.reminded_review_date IS NULL OR m.reminded_review_date < m.review_date)
               AND %(reachable)s
             ORDER BY m.id LIMIT %(limit)s
            """,
                today=today,
                reachable=reachable,
                limit=limit,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _pr_send_keep_tier_news(self, limit):
        """Tell up to ``limit`` members how many points keep their tier; return the members emailed."""
        news = self._pr_keep_tier_news(limit)
        return self._pr_mark_and_send(KEEP_TIER_TEMPLATE, "reminded_review_date", "date", news)

    @api.model
    def _pr_mark_and_send(self, template_xmlid, marker, sql_type, news):
        """Email the members of ``news`` (``{member id: what they are told of}``) not told of it yet.

        The marker is written by the statement that picks them (only where it is older), so that a
        member is told of each thing once however often, and however concurrently, the crons run.
        """
        if not news:
            return self.browse()
        self.env.cr.execute(
            SQL(
                """
            UPDATE pr_member m SET %(marker)s = d.value
              FROM unnest(%(ids)s::int[], %(values)s::%(type)s[]) AS d(id, value)
             WHERE m.id = d.id AND (%(current)s IS NULL OR %(current)s < d.value)
         RETURNING m.id
            """,
                marker=SQL.identifier(marker),
                current=SQL.identifier("m", marker),
                ids=list(news),
                values=list(news.values()),
                type=SQL(sql_type),
            )
        )
        return self._pr_send_news(template_xmlid, [row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _pr_send_news(self, template_xmlid, member_ids):
        """Queue the template's email to these members, each in their language (the template's ``lang``)."""
        members = self.browse(sorted(member_ids))
        members.invalidate_recordset(
            ["reminded_expiry_date", "reminded_expiry_points", "congratulated_upgrade_id", "reminded_review_date"]
        )
        if members:
            template = self.env.ref(template_xmlid).sudo()
            template.send_mail_batch(members.ids, email_layout_xmlid="mail.mail_notification_light")
        return members

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    @api.model
    def _cron_send_expiry_reminders(self, batch_size=1000):
        self._pr_cron_batches("_pr_send_expiry_reminders", batch_size)

    @api.model
    def _cron_send_tier_news(self, batch_size=200):
        cron = self.env["ir.cron"]
        for send in (self._pr_send_upgrade_news, self._pr_send_keep_tier_news):
            while sent := send(batch_size):
                if not cron._commit_progress(len(sent)):
                    return
