from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import PositiveReinforcementCase

INTEGRATION = "positive_reinforcement.positive_reinforcement_group_integration"


@tagged("post_install", "-at_install")
class TestEventSources(PositiveReinforcementCase):
    """Who may record behaviours from outside the engine, which ones, and with which keys and dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.robot = new_test_user(cls.env, login="pr_src_robot", groups=INTEGRATION)
        cls.other_robot = new_test_user(cls.env, login="pr_src_robot2", groups=INTEGRATION)
        cls.employee = new_test_user(cls.env, login="pr_src_employee", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="pr_src_portal", groups="base.group_portal")

    def counts(self):
        self.env.flush_all()
        return self.env["pr.event"].search_count([]), self.Ledger.search_count([])

    def api(self, user, events):
        return self.env["pr.event"].with_user(user).record_events(events)

    def social(self, external_id, **values):
        return {"partner_id": self.alice.id, "behavior": "social_media", "external_id": external_id, **values}

    # ------------------------------------------------------------
    # Which behaviours
    # ------------------------------------------------------------

    def test_document_behaviours_are_not_accepted_from_outside(self):
        accepted = self.env["pr.behavior"].search([("accepted_from_outside", "=", True)]).mapped("code")
        self.assertTrue({"social_media", "review", "feedback", "newsletter"} <= set(accepted))
        document = self.b_purchase | self.b_first | self.b_renewal | self.b_premium
        document |= self.env.ref("positive_reinforcement.pr_behavior_referral")
        self.assertEqual(document.mapped("accepted_from_outside"), [False] * 5)

    def test_a_user_records_by_hand_only_behaviours_accepted_from_outside(self):
        Event = self.env["pr.event"].with_user(self.user)
        event = Event.create({"partner_id": self.alice.id, "behavior_id": self.b_social.id, "value": 3})
        self.assertTrue(event.sudo().idempotency_key.startswith("manual:"))
        before = self.counts()
        for behavior in (self.b_purchase, self.b_first, self.b_premium, self.b_renewal):
            with self.subTest(behavior=behavior.code), self.assertRaises(ValidationError) as caught:
                Event.create({"partner_id": self.alice.id, "behavior_id": behavior.id, "value": 900})
            self.assertIn("not accepted from outside", str(caught.exception))
        with self.assertRaises(ValidationError):
            Event.with_context(default_behavior_id=self.b_purchase.id).create({"partner_id": self.alice.id})
        with self.assertRaises(ValidationError):
            Event.with_user(self.manager).create({"partner_id": self.alice.id, "behavior_id": self.b_purchase.id})
        self.assertEqual(self.counts(), before)

    def test_a_manager_switches_a_behaviour_on_a_user_cannot(self):
        self.b_renewal.with_user(self.manager).accepted_from_outside = True
        event = (
            self.env["pr.event"]
            .with_user(self.user)
            .create({"partner_id": self.alice.id, "behavior_id": self.b_renewal.id})
        )
        self.assertEqual(event.sudo().behavior_id, self.b_renewal)
        with self.assertRaises(AccessError):
            self.b_social.with_user(self.user).accepted_from_outside = False

    def test_an_import_by_a_plain_user(self):
        Event = self.env["pr.event"].with_user(self.user)
        before = self.counts()
        result = Event.load(["partner_email", "behavior_id", "value"], [["alice@example.com", "Purchase", "900"]])
        self.assertFalse(result["ids"])
        self.assertIn("not accepted from outside", result["messages"][0]["message"])
        self.assertEqual(self.counts(), before)
        result = Event.load(["partner_email", "behavior_id"], [["ALICE@example.com", self.b_social.name]])
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(Event.sudo().browse(result["ids"]).partner_id, self.alice)

    # ------------------------------------------------------------
    # Who
    # ------------------------------------------------------------

    @mute_logger("odoo.models")
    def test_people_without_the_addon_groups_are_refused(self):
        before = self.counts()
        for user in (self.employee, self.portal):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["pr.event"].with_user(user).create(
                        {"partner_id": self.alice.id, "behavior_id": self.b_social.id}
                    )
                with self.assertRaises(AccessError):
                    self.api(user, [self.social("who-1")])
        with self.assertRaises(AccessError):
            self.api(self.user, [self.social("who-2")])
        with self.assertRaises(AccessError):
            # The refusal comes before anything is looked at, even a malformed call.
            self.api(self.user, "not a list")
        self.assertEqual(self.counts(), before)

    def test_integration_and_manager_may_call_the_api(self):
        for user in (self.robot, self.manager):
            with self.subTest(user=user.login):
                results = self.api(user, [self.social("ok-1"), {**self.social("ok-2"), "behavior": "purchase"}])
                self.assertEqual([r["status"] for r in results], ["created", "error"])
        event = (
            self.env["pr.event"]
            .with_user(self.robot)
            .create({"partner_id": self.alice.id, "behavior_id": self.b_review.id})
        )
        self.assertEqual(event.sudo().create_uid, self.robot)
        with self.assertRaises(ValidationError):
            self.env["pr.event"].with_user(self.robot).create(
                {"partner_id": self.alice.id, "behavior_id": self.b_purchase.id}
            )

    def test_a_call_must_be_a_list_of_at_most_a_thousand(self):
        before = self.counts()
        with self.assertRaises(UserError):
            self.api(self.robot, {"events": []})
        with self.assertRaises(UserError) as caught:
            self.api(self.robot, [self.social(f"cap-{i}") for i in range(1001)])
        self.assertIn("Nothing was recorded", str(caught.exception))
        self.assertEqual(self.counts(), before)
        self.assertEqual(len(self.api(self.robot, [self.social(f"cap-{i}") for i in range(1000)])), 1000)

    # ------------------------------------------------------------
    # Keys
    # ------------------------------------------------------------

    def test_no_caller_chooses_an_idempotency_key(self):
        Event = self.env["pr.event"].with_user(self.user)
        before = self.counts()
        engine_keys = ("pr.referral:99", "refund:7:8", "sale.order:12:purchase")
        for values in (
            {"idempotency_key": engine_keys[0]},
            {"source_model": "sale.order", "source_id": 12},
            {"state": "processed"},
        ):
            with self.subTest(values=values), self.assertRaises(UserError):
                Event.create({"partner_id": self.alice.id, "behavior_id": self.b_social.id, **values})
        with self.assertRaises(UserError):
            Event.with_context(default_idempotency_key=engine_keys[1]).create(
                {"partner_id": self.alice.id, "behavior_id": self.b_social.id}
            )
        self.assertEqual(self.counts(), before)
        # Through the API an external id lives in the caller's own namespace.
        results = self.api(self.robot, [self.social(key) for key in engine_keys])
        keys = self.env["pr.event"].browse([r["event_id"] for r in results]).mapped("idempotency_key")
        self.assertEqual(keys, [f"api:{self.robot.id}:{key}" for key in engine_keys])
        # So the engine still records the referral under its own key.
        referral = self.env["pr.event"]._record(
            [{"partner_id": self.bob.id, "behavior_id": self.b_social.id, "idempotency_key": engine_keys[0]}]
        )
        self.assertEqual(referral.partner_id, self.bob)

    def test_external_ids_count_once_per_caller_and_are_echoed(self):
        first = self.api(self.robot, [self.social("post-1"), self.social("post-1"), self.social(" post-1 ")])
        self.assertEqual([r["status"] for r in first], ["created", "duplicate", "created"])
        self.assertEqual([r["external_id"] for r in first], ["post-1", "post-1", " post-1 "])
        self.assertEqual(first[1]["event_id"], first[0]["event_id"])
        again = self.api(self.robot, [self.social("post-1")])
        self.assertEqual((again[0]["status"], again[0]["event_id"]), ("duplicate", first[0]["event_id"]))
        other = self.api(self.other_robot, [self.social("post-1")])
        self.assertEqual(other[0]["status"], "created")
        self.assertNotEqual(other[0]["event_id"], first[0]["event_id"])

    def test_events_recorded_before_the_namespaces_stay_duplicates(self):
        old = (
            self.env["pr.event"]
            .with_user(self.robot)
            .sudo()
            ._record([{"partner_id": self.alice.id, "behavior_id": self.b_social.id, "idempotency_key": "api:old-1"}])
        )
        self.assertEqual(old.create_uid, self.robot)
        mine = self.api(self.robot, [self.social("old-1")])
        self.assertEqual((mine[0]["status"], mine[0]["event_id"]), ("duplicate", old.id))
        theirs = self.api(self.other_robot, [self.social("old-1")])
        self.assertEqual(theirs[0]["status"], "created")

    # ------------------------------------------------------------
    # Customers, values and dates
    # ------------------------------------------------------------

    def test_an_email_shared_by_two_contacts_is_an_error(self):
        twin = self.env["res.partner"].create({"name": "Alice Twin", "email": "Alice@Example.com"})
        results = self.api(
            self.robot,
            [
                {"partner_email": "alice@example.com", "behavior": "social_media", "external_id": "twin-1"},
                {"partner_id": twin.id, "behavior": "social_media", "external_id": "twin-2"},
                {
                    "partner_id": self.bob.id,
                    "partner_email": "bob@example.com",
                    "behavior": "social_media",
                    "external_id": "twin-3",
                },
                {
                    "partner_id": self.alice.id,
                    "partner_email": "bob@example.com",
                    "behavior": "social_media",
                    "external_id": "twin-4",
                },
            ],
        )
        self.assertEqual([r["status"] for r in results], ["error", "created", "created", "error"])
        self.assertIn("2 contacts have the partner_email alice@example.com", results[0]["message"])
        self.assertIn("different contacts", results[3]["message"])
        result = (
            self.env["pr.event"]
            .with_user(self.user)
            .load(["partner_email", "behavior_id"], [["alice@example.com", self.b_social.name]])
        )
        self.assertFalse(result["ids"])
        self.assertIn("2 contacts have the email alice@example.com", result["messages"][0]["message"])
        with self.assertRaises(ValidationError):
            self.Event.create({"partner_email": "alice@example.com", "behavior_id": self.b_social.id})

    def test_values_are_finite_positive_and_bounded(self):
        Event = self.env["pr.event"].with_user(self.user)
        before = self.counts()
        for value in (float("nan"), float("inf"), -1.0, 2e9):
            with self.subTest(value=value), self.assertRaises(ValidationError):
                Event.create({"partner_id": self.alice.id, "behavior_id": self.b_social.id, "value": value})
        self.assertEqual(self.counts(), before)
        results = self.api(
            self.robot,
            [self.social(f"v-{i}", value=value) for i, value in enumerate((1e9, 0, 12, 1e9 + 1, True, "12", 10**400))],
        )
        self.assertEqual([r["status"] for r in results], ["created"] * 3 + ["error"] * 4)

    def test_old_behaviours_are_refused_from_outside_not_from_the_engine(self):
        now = fields.Datetime.now()
        window = now - relativedelta(months=self.company.pr_tier_window_months)
        too_old, recent = window - timedelta(days=2), window + timedelta(days=2)
        Event = self.env["pr.event"].with_user(self.user)
        with self.assertRaises(ValidationError) as caught:
            Event.create({"partner_id": self.alice.id, "behavior_id": self.b_social.id, "date": too_old})
        self.assertIn("days ago", str(caught.exception))
        self.assertTrue(Event.create({"partner_id": self.alice.id, "behavior_id": self.b_social.id, "date": recent}))
        results = self.api(
            self.robot,
            [
                self.social("old", date=fields.Datetime.to_string(too_old)),
                self.social("recent", date=fields.Datetime.to_string(recent)),
            ],
        )
        self.assertEqual([r["status"] for r in results], ["error", "created"])
        self.company.pr_event_max_age_days = 10
        results = self.api(
            self.robot,
            [
                self.social("11d", date=fields.Datetime.to_string(now - timedelta(days=11))),
                self.social("9d", date=fields.Datetime.to_string(now - timedelta(days=9))),
            ],
        )
        self.assertEqual([r["status"] for r in results], ["error", "created"])
        self.assertIn("10 days", results[0]["message"])
        # The engine (document detection, history replay) records any past date.
        replayed = self.env["pr.event"]._record(
            [
                {
                    "partner_id": self.alice.id,
                    "behavior_id": self.b_purchase.id,
                    "date": now - timedelta(days=700),
                    "idempotency_key": "sale.order:1:purchase",
                }
            ]
        )
        self.assertEqual(replayed.behavior_id, self.b_purchase)

    def test_the_setting_is_in_the_company_settings(self):
        settings = self.env["res.config.settings"].create({"pr_event_max_age_days": 30})
        settings.execute()
        self.assertEqual(self.company.pr_event_max_age_days, 30)

    # ------------------------------------------------------------
    # Changing a recorded behaviour
    # ------------------------------------------------------------

    @mute_logger("odoo.models")
    def test_what_a_behaviour_is_cannot_change_once_recorded(self):
        event = self.Event.with_user(self.user).create(
            {"partner_id": self.alice.id, "behavior_id": self.b_social.id, "value": 3}
        )
        as_manager = event.with_user(self.manager)
        names = ["partner_id", "behavior_id", "company_id", "date", "value", "idempotency_key", "state", "message"]
        before = event.read(names)
        for values in (
            {"behavior_id": self.b_purchase.id},
            {"partner_id": self.bob.id},
            {"value": 9000},
            {"date": fields.Datetime.now() - timedelta(days=1)},
            {"idempotency_key": "sale.order:12:purchase"},
            {"source_model": "sale.order", "source_id": 12},
            {"state": "processed"},
            {"message": "Processed by hand"},
            {"company_id": self.env["res.company"].create({"name": "Other shop"}).id},
        ):
            with self.subTest(values=values), self.assertRaises(UserError) as caught:
                as_manager.write(values)
            self.assertNotIsInstance(caught.exception, AccessError)
        for user in (self.user, self.robot, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                event.with_user(user).write({"partner_email": "alice@example.com"})
        event.invalidate_recordset()
        self.assertEqual(event.read(names), before)
        # The same values again change nothing; the import's email may be corrected.
        as_manager.write({"behavior_id": self.b_social.id, "value": 3, "state": "pending"})
        as_manager.write({"partner_email": "alice@example.com"})
        self.assertEqual(event.partner_email, "alice@example.com")
        # The state moves only through the buttons, which managers keep.
        as_manager.action_ignore()
        self.assertEqual(event.state, "ignored")
        self.assertIn(self.manager.name, event.message)
        with self.assertRaises(AccessError):
            event.with_user(self.user).action_process()

    def test_the_form_offers_only_behaviours_accepted_from_outside(self):
        view = self.env.ref("positive_reinforcement.pr_event_view_form")
        arch = self.env["pr.event"].with_user(self.user).get_views([(view.id, "form")])["views"]["form"]["arch"]
        self.assertIn("[('accepted_from_outside', '=', True)]", arch)
