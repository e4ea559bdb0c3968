from datetime import date, datetime

from odoo.tests import freeze_time, tagged

from .common import PositiveReinforcementCase

# 23:30 UTC on 31 May is 06:30 on 1 June in Jakarta (UTC+7): in June for a Jakarta company.
LATE_ON_THE_31ST = datetime(2026, 5, 31, 23, 30)
MAY_31_IN_JAKARTA = datetime(2026, 5, 31, 10, 0)  # 17:00 in Jakarta, still 31 May


@tagged("post_install", "-at_install")
class TestCompanyTimezone(PositiveReinforcementCase):
    """Daily use: days and months are the company's, in its time zone, wherever a date is taken from a date-time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._use_own_company("Jakarta Roasters")
        cls.company.partner_id.tz = "Asia/Jakarta"
        # The test user's own time zone must not matter: the company's counts.
        cls.env.user.tz = "America/New_York"
        (cls.alice | cls.bob).pr_leaderboard_opt_in = True

    def member(self, partner):
        return self.env["pr.member"].search(
            [("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", self.company.id)]
        )

    def outcomes(self, events):
        return [event.decision_ids.outcome for event in events]

    def test_the_company_has_its_own_day(self):
        with freeze_time(LATE_ON_THE_31ST):
            self.assertEqual(self.company._pr_tz(), "Asia/Jakarta")
            self.assertEqual(self.company._pr_today(), date(2026, 6, 1))
            self.assertEqual(self.company._pr_local_date(MAY_31_IN_JAKARTA), date(2026, 5, 31))
            self.assertEqual(self.company._pr_day_start(date(2026, 6, 1)), datetime(2026, 5, 31, 17, 0))

    def test_an_event_late_on_the_31st_counts_in_the_next_months_limits(self):
        self.Rule.create(
            {
                "name": "Once a month",
                "behavior_id": self.b_social.id,
                "points": 10,
                "max_per_period": 1,
                "period": "month",
                "company_id": self.company.id,
            }
        )
        with freeze_time("2026-06-10 08:00:00"):
            may = self.process(self.event(self.bob, self.b_social, date=MAY_31_IN_JAKARTA))
            june = self.process(self.event(self.bob, self.b_social, date=LATE_ON_THE_31ST))
            june_again = self.process(self.event(self.bob, self.b_social, date=datetime(2026, 6, 2, 4, 0)))
        # In UTC all three would be May's, and only the first one granted.
        self.assertEqual(self.outcomes(may + june + june_again), ["granted", "granted", "skipped_limit"])
        self.assertEqual(self.member(self.bob).points_available, 20)

    def test_an_event_late_on_the_31st_spends_the_next_months_budget(self):
        rule = self.Rule.create(
            {
                "name": "Budgeted",
                "behavior_id": self.b_social.id,
                "points": 10,
                "monthly_budget": 10,
                "company_id": self.company.id,
            }
        )
        with freeze_time("2026-06-10 08:00:00"):
            may = self.process(self.event(self.alice, self.b_social, date=MAY_31_IN_JAKARTA))
            june = self.process(self.event(self.bob, self.b_social, date=LATE_ON_THE_31ST))
            spent = self.process(self.event(self.alice, self.b_social, date=datetime(2026, 6, 5, 9, 0)))
            rule.invalidate_recordset(["budget_used"])
            # The rule's Points This Month counts the same month: June's 10 points.
            self.assertEqual(rule.budget_used, 10)
        self.assertEqual(self.outcomes(may + june + spent), ["granted", "granted", "skipped_budget"])

    def test_release_and_expiry_dates_are_the_companys_days(self):
        self.company.write({"pr_pending_days": 3, "pr_points_validity_months": 12})
        with freeze_time("2026-06-01 02:00:00"):
            entry = self.post(self.alice, 100, date=LATE_ON_THE_31ST)
        self.assertEqual(entry.release_date, date(2026, 6, 4))  # 1 June in Jakarta + 3 days
        self.assertEqual(entry.expiry_date, date(2027, 6, 1))
        self.assertEqual(entry.state, "pending")
        with freeze_time("2026-06-03 16:00:00"):  # 23:00 on 3 June in Jakarta: not yet
            self.assertEqual(self.Ledger._release_pending(), 0)
        with freeze_time("2026-06-03 17:30:00"):  # 00:30 on 4 June in Jakarta, still 3 June in UTC
            self.assertEqual(self.Ledger._release_pending(), 1)
        entry.invalidate_recordset(["state"])
        self.assertEqual(entry.state, "available")

    def test_points_expire_on_the_companys_day(self):
        self.company.pr_points_validity_months = 12
        with freeze_time("2025-06-01 02:00:00"):
            self.post(self.alice, 100, date=LATE_ON_THE_31ST.replace(year=2025))  # 1 June 2025 in Jakarta
        member = self.member(self.alice)
        with freeze_time("2026-05-31 16:00:00"):  # 23:00 on 31 May in Jakarta: the points last until 1 June
            self.assertFalse(member._pr_expire_points())
        with freeze_time("2026-05-31 17:30:00"):  # 00:30 on 1 June in Jakarta
            expired = member._pr_expire_points()
        self.assertEqual(expired.points, -100)
        self.assertEqual(expired.idempotency_key, f"expire:{member.id}:2026-06-01")

    def test_the_tier_window_counts_the_companys_days(self):
        self.company.pr_points_validity_months = 0
        with freeze_time("2026-05-31 23:00:00"):  # 06:00 on 1 June 2026 in Jakarta: the window opens on 1 June 2025
            self.post(self.alice, 100, date=datetime(2025, 5, 31, 16, 0))  # 23:00 on 31 May 2025: outside
            self.post(self.alice, 50, date=datetime(2025, 5, 31, 18, 0))  # 01:00 on 1 June 2025: inside
            member = self.member(self.alice)
            member.invalidate_recordset()
            self.assertEqual(member.points_window, 50)
            full = member._pr_read_stats()[member.id]
            self.assertEqual(full["today"], date(2026, 6, 1))
            self.assertEqual(full["window"], 50)
            self.assertEqual(member.stats_date, date(2026, 6, 1))

    def test_the_leaderboard_month_is_the_companys(self):
        with freeze_time("2026-06-10 08:00:00"):
            self.post(self.alice, 40, date=MAY_31_IN_JAKARTA)
            self.post(self.bob, 30, date=LATE_ON_THE_31ST)
        self.env.flush_all()
        Board = self.env["pr.leaderboard"]
        may = Board._top(self.company, date(2026, 5, 15))
        june = Board._top(self.company, date(2026, 6, 15))
        self.assertEqual(may.mapped("partner_id"), self.alice)
        self.assertEqual(june.mapped("partner_id"), self.bob)
        self.assertEqual(june.points, 30)
