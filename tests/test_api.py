import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestEventApi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["pr.reward.rule"].search([]).action_archive()
        cls.social = cls.env.ref("positive_reinforcement.pr_behavior_social_media")
        cls.env["pr.reward.rule"].create({"name": "Social", "behavior_id": cls.social.id, "points": 10})
        cls.alice = cls.env["res.partner"].create({"name": "Api Alice", "email": "api.alice@example.com"})
        cls.bob = cls.env["res.partner"].create({"name": "Api Bob", "ref": "CUST-42"})
        cls.robot = new_test_user(
            cls.env, login="pr_robot", groups="positive_reinforcement.positive_reinforcement_group_integration"
        )
        cls.key = cls._api_key(cls.robot)

    @classmethod
    def _api_key(cls, user):
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "social tool", fields.Datetime.now() + timedelta(days=1))
        )

    def counts(self):
        self.env.flush_all()
        return self.env["pr.event"].search_count([]), self.env["pr.ledger.entry"].search_count([])

    def call(self, events, key=None):
        return self.url_open(
            "/json/2/pr.event/record_events",
            headers={
                "Authorization": f"bearer {key or self.key}",
                "Content-Type": "application/json",
                "X-Odoo-Database": self.env.cr.dbname,
            },
            data=json.dumps({"events": events}),
            timeout=30,
        )

    def test_batch_with_a_result_per_event(self):
        response = self.call(
            [
                {
                    "partner_email": "API.Alice@example.com",
                    "behavior": "social_media",
                    "external_id": "post-1",
                    "date": "2026-01-05 10:00:00",
                },
                {"partner_ref": "CUST-42", "behavior": "social_media", "external_id": "post-2", "value": 12.5},
                {"partner_email": "nobody@example.com", "behavior": "social_media", "external_id": "post-3"},
                {"partner_id": self.alice.id, "behavior": "dancing", "external_id": "post-4"},
                {"partner_id": self.alice.id, "behavior": "social_media", "external_id": "post-5", "value": "lots"},
                {
                    "partner_id": self.alice.id,
                    "behavior": "social_media",
                    "external_id": "post-6",
                    "date": "2999-01-01",
                },
                {"partner_id": self.alice.id, "behavior": "social_media", "external_id": "post-1"},
            ]
        )
        self.assertEqual(response.status_code, 200, response.text)
        results = response.json()
        self.assertEqual(
            [r["status"] for r in results], ["created", "created", "error", "error", "error", "error", "duplicate"]
        )
        self.assertEqual(results[2]["message"], "Unknown customer.")
        self.assertIn("dancing", results[3]["message"])
        self.assertIn("positive number", results[4]["message"])
        self.assertIn("future", results[5]["message"])
        self.assertEqual(results[6]["event_id"], results[0]["event_id"])
        events = self.env["pr.event"].browse([results[0]["event_id"], results[1]["event_id"]])
        self.assertEqual(events.partner_id, self.alice | self.bob)
        self.assertEqual(events[1].value, 12.5)
        events._pr_process()
        self.assertEqual(events.mapped("points"), [10, 10])
        again = self.call([{"partner_id": self.alice.id, "behavior": "social_media", "external_id": "post-1"}]).json()
        self.assertEqual(again[0]["status"], "duplicate")

    def test_a_wrong_key_is_refused(self):
        before = self.counts()
        response = self.call(
            [{"partner_id": self.alice.id, "behavior": "social_media", "external_id": "x"}], key="nope"
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.counts(), before)
        self.assertFalse(self.env["pr.event"].search([("idempotency_key", "like", "api:%x")]))

    @mute_logger("odoo.http")
    def test_a_plain_user_key_is_refused(self):
        user = new_test_user(
            self.env, login="pr_api_user", groups="positive_reinforcement.positive_reinforcement_group_user"
        )
        before = self.counts()
        response = self.call(
            [{"partner_id": self.alice.id, "behavior": "social_media", "external_id": "u-1"}], key=self._api_key(user)
        )
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(response.json()["name"], "odoo.exceptions.AccessError")
        self.assertIn("integration user", response.json()["message"])
        self.assertEqual(self.counts(), before)

    def test_integration_records_only_behaviours_accepted_from_outside(self):
        before = self.counts()
        results = self.call(
            [
                {"partner_id": self.alice.id, "behavior": "purchase", "external_id": "order-1", "value": 5000},
                {"partner_id": self.alice.id, "behavior": "referral", "external_id": "pr.referral:1"},
                {"partner_id": self.alice.id, "behavior": "social_media", "external_id": "pr.referral:1"},
            ]
        ).json()
        self.assertEqual([r["status"] for r in results], ["error", "error", "created"])
        self.assertIn("not accepted from outside", results[0]["message"])
        self.assertEqual([r["external_id"] for r in results], ["order-1", "pr.referral:1", "pr.referral:1"])
        event = self.env["pr.event"].browse(results[2]["event_id"])
        self.assertEqual(event.idempotency_key, f"api:{self.robot.id}:pr.referral:1")
        self.assertEqual(event.create_uid, self.robot)
        self.assertEqual(self.counts(), (before[0] + 1, before[1]))

    @mute_logger("odoo.http")
    def test_a_portal_session_is_refused(self):
        new_test_user(self.env, login="pr_api_portal", groups="base.group_portal")
        self.authenticate("pr_api_portal", "pr_api_portal")
        before = self.counts()
        response = self.url_open(
            "/web/dataset/call_kw/pr.event/record_events",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "pr.event",
                        "method": "record_events",
                        "args": [[{"partner_id": self.alice.id, "behavior": "social_media", "external_id": "p-1"}]],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.json()["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertEqual(self.counts(), before)

    def test_nasty_input_gets_an_error_per_event_never_a_crash(self):
        before = self.counts()
        good = {"partner_id": self.alice.id, "behavior": "social_media"}
        nasty = [
            {**good, "external_id": "n-1", "value": float("nan")},
            {**good, "external_id": "n-2", "value": "inf"},
            {**good, "external_id": "n-3", "value": 1e309},
            {**good, "external_id": "n-4", "partner_id": True},
            {**good, "external_id": "n-5", "partner_id": -3},
            {**good, "external_id": "n-6", "partner_id": 10**30},
            {**good, "external_id": {"nested": ["dict"]}},
            {**good, "external_id": "x" * 100_000},
            {**good, "external_id": "n-9", "behavior": ["social_media"]},
            {**good, "external_id": "n-10", "points": 1000},
            {**good, "external_id": None},
            {**good, "external_id": "n-12", "date": "yesterday"},
            {**good, "external_id": "n-13", "partner_email": "a\x00@example.com"},
            {**good, "external_id": "n-14\x00"},
            [1, 2],
            None,
        ]
        # NaN and 1e309 written as a careless client's JSON sends them; NUL characters as \u0000.
        body = json.dumps({"events": nasty}).replace("Infinity", "1e309")
        response = self.url_open(
            "/json/2/pr.event/record_events",
            headers={
                "Authorization": f"bearer {self.key}",
                "Content-Type": "application/json",
                "X-Odoo-Database": self.env.cr.dbname,
            },
            data=body,
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text)
        results = response.json()
        self.assertEqual(len(results), len(nasty))
        self.assertEqual({r["status"] for r in results}, {"error"}, results)
        sent = [event.get("external_id") if isinstance(event, dict) else None for event in nasty]
        self.assertEqual([r["external_id"] for r in results], sent)
        self.assertTrue(all(r["message"] for r in results))
        self.assertEqual(self.counts(), before)

    @mute_logger("odoo.http")
    def test_more_than_a_thousand_events_are_refused_whole(self):
        before = self.counts()
        events = [
            {"partner_id": self.alice.id, "behavior": "social_media", "external_id": f"bulk-{i}"} for i in range(1001)
        ]
        response = self.call(events)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("1000", response.json()["message"])
        self.assertEqual(self.counts(), before)
