import re

from odoo.tests import Form, HttpCase, freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import PositiveReinforcementCase

# Noon in Jakarta (UTC+7) on each day: the company's day is the day written.
NOON = "05:00:00"


@tagged("post_install", "-at_install")
class TestBirthdays(PositiveReinforcementCase):
    """Birthdays and customer anniversaries, recorded on the day by the daily cron, once a year each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Jakarta"
        cls.b_birthday = cls.env.ref("positive_reinforcement.pr_behavior_birthday")
        cls.b_anniversary = cls.env.ref("positive_reinforcement.pr_behavior_anniversary")
        cls.Rule.create(
            [
                {"name": "Birthday", "behavior_id": cls.b_birthday.id, "points": 100},
                {"name": "Anniversary", "behavior_id": cls.b_anniversary.id, "points": 50},
            ]
        )
        with freeze_time(f"2025-01-05 {NOON}"):
            cls.Ledger._post_movements(
                [{"partner_id": partner.id, "points": 10, "kind": "earn"} for partner in (cls.alice, cls.bob)]
            )

    def celebrate(self, day):
        """The daily cron, run at noon of ``day`` (``YYYY-MM-DD``) in the company's time zone; its new events, processed."""
        before = self.Event.search([("behavior_id", "in", (self.b_birthday | self.b_anniversary).ids)])
        with freeze_time(f"{day} {NOON}"):
            with self.enter_registry_test_mode():
                self.env.ref("positive_reinforcement.ir_cron_pr_celebrate").method_direct_trigger()
            self.env.invalidate_all()
            events = self.Event.search([("behavior_id", "in", (self.b_birthday | self.b_anniversary).ids)]) - before
            return self.process(events)

    def set_birth_date(self, partner, birth_date, on):
        with freeze_time(f"{on} {NOON}"):
            partner.pr_birth_date = birth_date

    # ------------------------------------------------------------
    # BIRTHDAYS
    # ------------------------------------------------------------

    def test_birthday_is_rewarded_on_the_day_once(self):
        self.set_birth_date(self.alice, "1990-06-15", on="2026-01-10")
        self.assertFalse(self.celebrate("2026-06-14"), "not the day before")
        event = self.celebrate("2026-06-15")
        self.assertEqual((event.partner_id, event.behavior_id, event.state), (self.alice, self.b_birthday, "processed"))
        self.assertEqual(event.points, 100, "the reward rule decides the reward")
        self.assertFalse(self.celebrate("2026-06-15"), "the cron run twice records nothing twice")
        self.assertFalse(self.celebrate("2026-06-16"))
        self.assertBalances(self.alice, 110)
        self.assertTrue(self.celebrate("2027-06-15"), "and again the next year")

    def test_a_birth_date_entered_less_than_30_days_before_earns_nothing_that_year(self):
        self.set_birth_date(self.alice, "1990-06-15", on="2026-05-17")  # 29 days before
        self.set_birth_date(self.bob, "1985-06-15", on="2026-05-16")  # 30 days before
        self.assertEqual(self.celebrate("2026-06-15").partner_id, self.bob)
        self.assertEqual(self.celebrate("2027-06-15").partner_id, self.alice | self.bob, "the next year counts")

    def test_moving_the_birthday_to_today_earns_nothing(self):
        self.set_birth_date(self.alice, "1990-06-15", on="2025-01-10")
        self.set_birth_date(self.alice, "1990-03-02", on="2026-03-01")
        self.assertFalse(self.celebrate("2026-03-02"))
        self.assertFalse(self.celebrate("2026-06-15"), "the old birth date no longer counts")

    def test_entered_on_follows_the_birth_date_and_nobody_writes_it(self):
        sales = new_test_user(self.env, login="pr_sales", groups="sales_team.group_sale_salesman")
        with freeze_time(f"2026-01-10 {NOON}"):
            with Form(self.alice.with_user(sales)) as form:
                form.pr_birth_date = "1990-06-15"
        self.assertEqual(str(self.alice.pr_birth_date_set_on), "2026-01-10 05:00:00")
        with freeze_time(f"2026-06-01 {NOON}"):
            self.alice.with_user(sales).write({"pr_birth_date": "1990-06-15", "name": "Alice Tester"})
            self.assertEqual(str(self.alice.pr_birth_date_set_on), "2026-01-10 05:00:00", "the same date: unchanged")
            self.alice.with_user(sales).write({"pr_birth_date_set_on": "2020-01-01 00:00:00"})
            self.assertEqual(str(self.alice.pr_birth_date_set_on), "2026-01-10 05:00:00", "not written by hand")
            self.alice.with_user(sales).write({"pr_birth_date": "1990-06-14"})
            self.assertEqual(str(self.alice.pr_birth_date_set_on), "2026-06-01 05:00:00")

    def test_29_february_is_celebrated_on_28_february_in_other_years(self):
        self.set_birth_date(self.alice, "2000-02-29", on="2025-01-10")
        self.assertTrue(self.celebrate("2027-02-28"))
        self.assertFalse(self.celebrate("2028-02-28"), "a leap year has its 29th")
        self.assertTrue(self.celebrate("2028-02-29"))

    def test_one_birthday_a_year_per_points_holder(self):
        company = self.env["res.partner"].create({"name": "Tester Ltd", "is_company": True})
        self.alice.parent_id = self.bob.parent_id = company
        self.post(company, 10)
        self.set_birth_date(self.alice, "1990-06-15", on="2025-01-10")
        self.set_birth_date(self.bob, "1990-06-16", on="2025-01-10")
        self.assertEqual(self.celebrate("2026-06-15").partner_id, self.alice)
        self.assertFalse(self.celebrate("2026-06-16"), "the company's wallet was celebrated this year")

    def test_cron_queries_do_not_grow_with_the_birthdays(self):
        counts = []
        for year, size in ((2026, 1), (2027, 5), (2028, 50)):  # the first run warms the caches up
            with freeze_time(f"{year - 1}-01-10 {NOON}"):
                fans = self.env["res.partner"].create(
                    [{"name": f"Fan {size}-{index}", "pr_birth_date": "1990-06-15"} for index in range(size)]
                )
                self.Ledger._post_movements([{"partner_id": fan.id, "points": 10, "kind": "earn"} for fan in fans])
            self.env.flush_all()
            with freeze_time(f"{year}-06-15 {NOON}"), self.enter_registry_test_mode():
                before = self.env.cr.sql_log_count
                self.env.ref("positive_reinforcement.ir_cron_pr_celebrate").method_direct_trigger()
                counts.append(self.env.cr.sql_log_count - before)
            recorded = self.Event.search([("behavior_id", "=", self.b_birthday.id), ("partner_id", "in", fans.ids)])
            self.assertEqual(len(recorded), size)
        self.assertEqual(counts[1], counts[2], f"5 birthdays took {counts[1]} queries, 50 took {counts[2]}")

    # ------------------------------------------------------------
    # ANNIVERSARIES
    # ------------------------------------------------------------

    def test_anniversary_of_the_first_purchase_once_a_year(self):
        product = self.env["product.product"].create({"name": "Widget", "list_price": 10})
        with freeze_time(f"2025-03-10 {NOON}"):
            self.sale_order(self.alice, {"product_id": product.id}, date="2025-03-10 05:00:00")
            self.sale_order(self.alice, {"product_id": product.id}, date="2025-04-01 05:00:00")
        self.assertFalse(self.celebrate("2025-03-10").filtered(lambda e: e.partner_id == self.alice), "the day itself")
        self.assertFalse(self.celebrate("2026-04-01").filtered(lambda e: e.partner_id == self.alice))
        event = self.celebrate("2026-03-10").filtered(lambda e: e.partner_id == self.alice)
        self.assertEqual((event.behavior_id, event.points), (self.b_anniversary, 50))
        self.assertFalse(self.celebrate("2026-03-10"), "the cron run twice records nothing twice")
        self.assertTrue(self.celebrate("2027-03-10").filtered(lambda e: e.partner_id == self.alice))

    def test_a_member_without_purchase_celebrates_the_day_it_joined(self):
        member = self.member(self.bob)
        self.env.cr.execute(
            SQL("UPDATE pr_member SET create_date = %s WHERE id = %s", "2024-05-01 05:00:00", member.id)
        )
        event = self.celebrate("2026-05-01")
        self.assertEqual((event.partner_id, event.behavior_id), (self.bob, self.b_anniversary))
        self.assertFalse(self.celebrate("2026-05-01"))


@tagged("post_install", "-at_install")
class TestBirthdaysPortal(HttpCase):
    """The customer enters their own birth date in the portal's My account form."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(cls.env, login="pr_birthday", groups="base.group_portal", name="Bea Birthday")
        cls.bea = cls.portal_user.partner_id
        cls.bea.write(
            {
                "email": "bea@example.com",
                "phone": "+32 2 555 01 00",
                "street": "Rue de la Loi 1",
                "city": "Brussels",
                "zip": "1000",
                "country_id": cls.env.ref("base.be").id,
            }
        )

    def submit(self, birth_date):
        self.authenticate("pr_birthday", "pr_birthday")
        page = self.url_open("/my/account")
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="pr_birth_date"', page.text)
        csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text).group(1)
        bea = self.bea
        response = self.url_open(
            "/my/address/submit",
            data={
                "csrf_token": csrf,
                "partner_id": bea.id,
                "address_type": "billing",
                "use_delivery_as_billing": "true",
                "callback": "/my",
                "name": bea.name,
                "email": bea.email,
                "phone": bea.phone,
                "street": bea.street,
                "city": bea.city,
                "zip": bea.zip,
                "country_id": bea.country_id.id,
                "state_id": "",
                "pr_birth_date": birth_date,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.bea.invalidate_recordset()
        return response.json()

    def test_the_customer_enters_their_birth_date(self):
        self.assertEqual(self.submit("1990-06-15"), {"redirectUrl": "/my"})
        self.assertEqual(str(self.bea.pr_birth_date), "1990-06-15")
        self.assertTrue(self.bea.pr_birth_date_set_on)
        self.assertIn('value="1990-06-15"', self.url_open("/my/account").text)

    def test_a_birth_date_in_the_future_is_refused(self):
        feedback = self.submit("2999-01-01")
        self.assertEqual(feedback["invalid_fields"], ["pr_birth_date"])
        self.assertFalse(self.bea.pr_birth_date)
        self.assertEqual(self.submit("not a date")["invalid_fields"], ["pr_birth_date"])
