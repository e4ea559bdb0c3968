import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from odoo import Command
from odoo.tests import tagged

from .common import PositiveReinforcementCase


class _Receiver(BaseHTTPRequestHandler):
    """Another system: it keeps the JSON body of every POST it receives."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestOutgoingEvents(PositiveReinforcementCase):
    """Tier changes, points, badges... are records an automated rule (a webhook) can send elsewhere."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Out = cls.env["pr.outgoing.event"]
        cls.env["pr.badge"].search([]).action_archive()
        # The receiving system, on this machine (tests may reach 127.0.0.1 only).
        cls.receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
        cls.receiver.received = []
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.receiver.server_close)
        cls.addClassCleanup(cls.receiver.shutdown)

    def setUp(self):
        super().setUp()
        self.receiver.received.clear()

    def rule(self, filter_domain=False, webhook=False):
        """An automated rule on *Loyalty Events Out*, run at creation; with a webhook action when asked."""
        model = self.env["ir.model"]._get("pr.outgoing.event")
        automation = self.env["base.automation"].create(
            {"name": "Tell the shop", "model_id": model.id, "trigger": "on_create", "filter_domain": filter_domain}
        )
        if webhook:
            names = ["kind", "partner_id", "tier_id", "points", "payload"]
            fields = self.env["ir.model.fields"].search([("model", "=", "pr.outgoing.event"), ("name", "in", names)])
            self.env["ir.actions.server"].create(
                {
                    "name": "Send to the shop",
                    "model_id": model.id,
                    "base_automation_id": automation.id,
                    "usage": "base_automation",
                    "state": "webhook",
                    "webhook_url": f"http://127.0.0.1:{self.receiver.server_port}/loyalty",
                    "webhook_field_ids": [Command.set(fields.ids)],
                }
            )
        return automation

    def events(self, kind=None):
        domain = [("partner_id", "in", (self.alice | self.bob).ids)]
        return self.Out.search(domain + ([("kind", "=", kind)] if kind else []))

    def test_no_rule_no_event(self):
        self.post(self.alice, 600)
        self.assertEqual(self.member(self.alice).tier_id, self.silver)
        self.assertEqual(self.Out.search_count([]), 0)
        # The engine pays nothing then: not a query, the values (which would read customers) not even built.
        self.env.invalidate_all()
        partners = self.alice | self.bob
        with self.assertQueryCount(0):
            self.Out._pr_emit({"kind": "points_posted", "partner_id": p.commercial_partner_id.id} for p in partners)

    def test_webhook_on_tier_change(self):
        self.rule("[('kind', '=', 'tier_changed')]", webhook=True)
        self.post(self.alice, 600)
        self.assertEqual(self.member(self.alice).tier_id, self.silver)
        change = self.events("tier_changed")
        self.assertEqual(len(change), 1)
        self.assertEqual(change.res_model, "pr.tier.history")
        self.assertEqual(self.env["pr.tier.history"].browse(change.res_id).to_tier_id, self.silver)
        self.assertEqual(change.with_context(lang="en_US").summary, "Upgraded to Test Silver")
        # Odoo sends webhooks once the transaction is committed, as here.
        self.env.cr.postcommit.run()
        self.assertEqual(len(self.receiver.received), 1, "only the tier change matches the rule's filter")
        sent = self.receiver.received[0]
        self.assertEqual((sent["_model"], sent["_id"]), ("pr.outgoing.event", change.id))
        self.assertEqual(sent["kind"], "tier_changed")
        self.assertEqual(sent["partner_id"], self.alice.id)
        self.assertEqual(sent["tier_id"], self.silver.id)
        self.assertEqual(sent["points"], 600)
        payload = sent["payload"]
        self.assertEqual(payload["tier_name"], "Test Silver")
        self.assertEqual(payload["partner_email"], "alice@example.com")
        self.assertEqual(payload["reason"], "upgrade")

    def test_points_posted_and_badges_earned(self):
        self.rule()
        badge = self.env["pr.badge"].create(
            {"name": "Silver Member", "criterion": "tier", "tier_id": self.silver.id, "threshold": 1}
        )
        self.Ledger._post_movements(
            [
                {"partner_id": self.alice.id, "points": 600, "kind": "earn"},
                {"partner_id": self.bob.id, "points": 100, "kind": "earn"},
            ]
        )
        self.post(self.alice, -50, kind="redeem")
        posted = self.events("points_posted")
        self.assertEqual(sorted(posted.mapped("points")), [-50, 100, 600])
        self.assertEqual(set(posted.mapped("res_model")), {"pr.ledger.entry"})
        entries = self.Ledger.browse(posted.mapped("res_id"))
        self.assertEqual(entries.partner_id, self.alice | self.bob)
        self.assertEqual(posted.filtered(lambda e: e.points == -50).payload["entry_kind"], "redeem")
        grants = self.env["pr.badge"]._grant_badges(self.alice | self.bob)
        earned = self.events("badge_earned")
        self.assertEqual(earned.partner_id, self.alice)
        self.assertEqual(earned.res_id, grants.filtered(lambda g: g.partner_id == self.alice).id)
        self.assertEqual(earned.payload["badge_id"], badge.id)
        self.assertEqual(earned.with_context(lang="en_US").summary, "Earned the badge Silver Member.")

    def test_old_events_are_vacuumed(self):
        self.rule()
        self.post(self.alice, 100)
        events = self.events()
        self.assertTrue(events)
        self.env.cr.execute("UPDATE pr_outgoing_event SET create_date = now() - interval '31 days'")
        events.invalidate_recordset()
        self.Out._gc_outgoing_events()
        self.assertFalse(events.exists())

    def test_rewards_redeemed_and_referrals_qualified(self):
        self.rule()
        self.post(self.alice, 500)
        mug = self.env["pr.reward"].create(
            {"name": "Coffee mug", "kind": "gift", "points_cost": 100, "responsible_id": self.manager.id}
        )
        redemption = mug.with_user(self.user)._redeem(self.alice, "mug-1")
        redeemed = self.events("reward_redeemed")
        self.assertEqual((redeemed.res_model, redeemed.res_id), ("pr.redemption", redemption.id))
        self.assertEqual(redeemed.points, -100)
        self.assertEqual(redeemed.payload["reward_name"], "Coffee mug")
        self.company.write(
            {"pr_referral_min_amount": 50, "pr_referral_days": 30, "pr_referral_qualify_on": "confirmed"}
        )
        friend = self.env["res.partner"].create({"name": "Friend Fiona", "email": "fiona@example.com"})
        friend.pr_referred_by_id = self.alice
        product = self.env["product.product"].create({"name": "Beans", "list_price": 80.0})
        self.sale_order(friend, {"product_id": product.id, "product_uom_qty": 1, "price_unit": 80.0})
        referral = friend.pr_referral_id
        self.assertEqual(referral.state, "rewarded")
        qualified = self.events("referral_qualified")
        self.assertEqual((qualified.res_model, qualified.res_id), ("pr.referral", referral.id))
        self.assertEqual(qualified.partner_id, self.alice)
        self.assertEqual(qualified.payload["friend_partner_id"], friend.id)
