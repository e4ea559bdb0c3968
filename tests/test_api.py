import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


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
            cls.env, login="pr_robot", groups="positive_reinforcement.positive_reinforcement_group_user"
        )
        cls.key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.robot)
            ._generate(None, "social tool", fields.Datetime.now() + timedelta(days=1))
        )

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
        response = self.call(
            [{"partner_id": self.alice.id, "behavior": "social_media", "external_id": "x"}], key="nope"
        )
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.env["pr.event"].search([("idempotency_key", "=", "api:x")]))
