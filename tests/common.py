from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class PositiveReinforcementCase(TransactionCase):
    """Known settings and tiers, one user per role, two customers; demo data is neither needed nor seen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {
                "pr_points_validity_months": 12,
                "pr_pending_days": 0,
                "pr_tier_window_months": 12,
                "pr_tier_grace_days": 30,
                "pr_wallet_mode": "commercial",
            }
        )
        Tier = cls.env["pr.tier"]
        Tier.search([]).action_archive()
        cls.bronze = Tier.create({"name": "Test Bronze", "sequence": 1, "min_points": 0})
        cls.silver = Tier.create({"name": "Test Silver", "sequence": 2, "min_points": 500, "multiplier": 1.25})
        cls.gold = Tier.create({"name": "Test Gold", "sequence": 3, "min_points": 1500, "multiplier": 1.5})
        cls.user = new_test_user(
            cls.env, login="pr_user", groups="positive_reinforcement.positive_reinforcement_group_user"
        )
        cls.manager = new_test_user(
            cls.env, login="pr_manager", groups="positive_reinforcement.positive_reinforcement_group_manager"
        )
        cls.alice = cls.env["res.partner"].create({"name": "Alice Tester", "email": "alice@example.com"})
        cls.bob = cls.env["res.partner"].create({"name": "Bob Tester", "email": "bob@example.com"})
        cls.Ledger = cls.env["pr.ledger.entry"]
        cls.env["pr.reward.rule"].search([]).action_archive()
        cls.Event = cls.env["pr.event"]
        cls.Rule = cls.env["pr.reward.rule"]
        behavior = cls.env.ref
        cls.b_purchase = behavior("positive_reinforcement.pr_behavior_purchase")
        cls.b_first = behavior("positive_reinforcement.pr_behavior_first_purchase")
        cls.b_social = behavior("positive_reinforcement.pr_behavior_social_media")
        cls.b_review = behavior("positive_reinforcement.pr_behavior_review")
        cls.b_newsletter = behavior("positive_reinforcement.pr_behavior_newsletter")
        cls.b_feedback = behavior("positive_reinforcement.pr_behavior_feedback")
        cls.b_premium = behavior("positive_reinforcement.pr_behavior_premium_upgrade")
        cls.b_renewal = behavior("positive_reinforcement.pr_behavior_renewal")

    @classmethod
    def _use_own_company(cls, name, **values):
        """Switch the test to a new company, so that the demo data's figures are not counted.

        The users of the test get access to it, and the environment works in it from now on.
        """
        company = cls.env["res.company"].create({"name": name, **values})
        (cls.env.user | cls.user | cls.manager).company_ids |= company
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        cls.Ledger = cls.env["pr.ledger.entry"]
        cls.Event = cls.env["pr.event"]
        cls.Rule = cls.env["pr.reward.rule"]
        return company

    def post(self, partner, points, kind="earn", **values):
        return self.Ledger._post_movements([{"partner_id": partner.id, "points": points, "kind": kind, **values}])

    def sale_order(self, partner, *lines, confirm=True, date=None, **values):
        """A sales order of ``partner`` with a line for each of ``lines`` (line values), confirmed (its rule run, as
        the cron does moments later), then dated ``date``."""
        order = self.env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [Command.create(line) for line in lines], **values}
        )
        if confirm:
            order.action_confirm()
            self.run_later()  # the rule of confirmed orders, moments later
        if date is not None:
            order.date_order = date
        return order

    def event(self, partner, behavior, **values):
        return self.Event.create({"partner_id": partner.id, "behavior_id": behavior.id, **values})

    def process(self, events=None):
        if events is None:
            self.run_later()
            events = self.Event.search([("state", "=", "pending")])
        events._pr_process()
        events.invalidate_recordset()
        return events

    def settle(self):
        """What the ledger's cron does moments after a payment or a credit note (``pr.ledger.queue``)."""
        self.env.cr.flush()  # the transaction's end: the documents noted are written, as at the commit
        self.env["pr.ledger.queue"]._pr_settle_queue()
        self.env.invalidate_all()

    def run_later(self):
        """What the cron does within the minute after a rating or a subscription (``base_automation_later.py``)."""
        self.env["base.automation"]._pr_run_later()

    def member(self, partner):
        return self.env["pr.member"].search(
            [("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", self.company.id)]
        )

    def assertBalances(self, partner, available, pending=0, lifetime=None):
        member = self.member(partner)
        member.invalidate_recordset()
        self.assertEqual(member.points_available, available, "available points")
        self.assertEqual(member.points_pending, pending, "pending points")
        if lifetime is not None:
            self.assertEqual(member.points_lifetime, lifetime, "lifetime points")
        # The stored balances always equal what the ledger adds up to.
        entries = self.Ledger.search([("member_id", "=", member.id)])
        self.assertEqual(sum(entries.filtered(lambda e: e.state == "available").mapped("points")), available)
        self.assertEqual(sum(entries.filtered(lambda e: e.state == "pending").mapped("points")), pending)
