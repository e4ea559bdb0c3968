from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import config


def screenshots_dir():
    """Where the tours leave their last screen; the README's images in docs/screenshots are copies."""
    path = Path(config["screenshots"]) / "positive_reinforcement"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def screenshot_at_end(name):
    """Save the screen a tour ends on, as ``<name>.png``, before its browser closes."""
    stop = ChromeBrowser.stop
    target = screenshots_dir() / f"{name}.png"
    target.unlink(missing_ok=True)

    def stop_after_screenshot(browser):
        future = browser._websocket_send("Page.captureScreenshot", with_future=True)
        if future:
            import base64  # noqa: PLC0415

            target.write_bytes(base64.b64decode(future.result(timeout=20)["data"]))
        stop(browser)

    with patch.object(ChromeBrowser, "stop", stop_after_screenshot):
        yield target


@tagged("post_install", "-at_install")
class TestBackOfficeTours(HttpCase):
    def test_a_rule_made_in_the_back_office_rewards_a_confirmed_order(self):
        self.env["pr.reward.rule"].search([]).action_archive()
        customer = self.env["res.partner"].create({"name": "Tour Customer", "email": "tour.customer@example.com"})
        product = self.env["product.product"].create({"name": "Tour beans", "list_price": 30.0})
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "order_line": [Command.create({"product_id": product.id})]}
        )
        self.start_tour(
            "/odoo/action-positive_reinforcement.pr_reward_rule_action/new", "pr_create_reward_rule", login="admin"
        )
        rule = self.env["pr.reward.rule"].search([("name", "=", "Tour first order bonus")])
        self.assertEqual((rule.points, rule.behavior_id.code), (77, "first_purchase"))
        self.start_tour(
            f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}", "pr_confirm_order", login="admin"
        )
        self.assertEqual(order.state, "sale")
        # The scheduler runs the rule of confirmed orders moments later, then processes what it recorded.
        self.env["base.automation"]._pr_run_later()
        self.env["pr.event"].search([("state", "=", "pending")])._pr_process()
        with screenshot_at_end("customer_loyalty_en") as shot:
            self.start_tour(f"/odoo/contacts/{customer.id}", "pr_see_points", login="admin")
        self.assertEqual(customer.pr_points_available, 77)
        self.assertGreater(shot.stat().st_size, 10000, "a real screenshot")

    def test_an_administrator_runs_the_order_rule_in_the_transaction_again(self):
        rule = self.env.ref("positive_reinforcement.automation_sale_order_confirmed")
        self.assertTrue(rule.pr_later)
        with screenshot_at_end("automation_rule_later_en") as shot:
            self.start_tour(
                f"/odoo/action-base_automation.base_automation_act/{rule.id}", "pr_rule_runs_at_once", login="admin"
            )
        self.assertGreater(shot.stat().st_size, 10000, "a real screenshot")
        self.assertFalse(rule.pr_later)
        customer = self.env["res.partner"].create({"name": "Tour Customer", "email": "tour.customer@example.com"})
        product = self.env["product.product"].create({"name": "Tour beans", "list_price": 30.0})
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "order_line": [Command.create({"product_id": product.id})]}
        )
        order.action_confirm()
        events = self.env["pr.event"].search([("source_model", "=", "sale.order"), ("source_id", "=", order.id)])
        self.assertEqual(len(events), 2, "a purchase and a first purchase, while the salesperson waits")


@tagged("post_install", "-at_install")
class TestIndonesianTours(HttpCase):
    """Teams working in Indonesian: the back office and the portal, and the README's pictures of both."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("id_ID")
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "web", "portal", "positive_reinforcement"], ["id_ID"], overwrite=True
        )
        cls.env.ref("base.user_admin").lang = "id_ID"
        cls.portal_user = new_test_user(
            cls.env, login="pr_portal_id", groups="base.group_portal", name="Sari Pelanggan", lang="id_ID"
        )
        cls.env["pr.reward"].create({"name": "Cangkir kopi", "kind": "gift", "points_cost": 100})
        cls.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": cls.portal_user.partner_id.id, "points": 650, "kind": "earn", "reason": "Pembelian"}]
        )

    def test_back_office_in_indonesian(self):
        self.env["pr.metric"]._pr_refresh(self.env.company)
        with screenshot_at_end("metrics_id") as shot:
            self.start_tour(
                "/odoo/action-positive_reinforcement.pr_member_action", "pr_indonesian_backoffice", login="admin"
            )
        self.assertGreater(shot.stat().st_size, 10000)

    def test_portal_in_indonesian(self):
        with screenshot_at_end("portal_id") as shot:
            self.start_tour("/my/rewards", "pr_indonesian_portal", login="pr_portal_id")
        self.assertGreater(shot.stat().st_size, 10000)


@tagged("post_install", "-at_install")
class TestScreenshots(HttpCase):
    """The main screens in English, as the README shows them (demo data when installed with it)."""

    def test_main_screens(self):
        self.env["pr.metric"]._pr_refresh(self.env.company)
        screens = {
            "members_en": "/odoo/action-positive_reinforcement.pr_member_action",
            "metrics_en": "/odoo/action-positive_reinforcement.pr_metric_action",
            "offer_campaigns_en": "/odoo/action-positive_reinforcement.pr_offer_campaign_action",
            "rewards_catalogue_en": "/odoo/action-positive_reinforcement.pr_reward_action",
            "surprise_gifts_en": "/odoo/action-positive_reinforcement.pr_surprise_gift_action",
            "redemption_rate_en": "/odoo/action-positive_reinforcement.pr_reward_report_action",
            "experiments_en": "/odoo/action-positive_reinforcement.pr_experiment_action",
        }
        # On a database with demo data, the forms of a sent campaign and of a running experiment say more.
        for name, xmlid, action in (
            ("offer_campaigns_en", "positive_reinforcement.pr_offer_campaign_gold_demo", "pr_offer_campaign_action"),
            ("experiments_en", "positive_reinforcement.pr_experiment_double_points_demo", "pr_experiment_action"),
        ):
            record = self.env.ref(xmlid, raise_if_not_found=False)
            if record:
                screens[name] = f"/odoo/action-positive_reinforcement.{action}/{record.id}"
        for name, url in screens.items():
            with screenshot_at_end(name) as shot:
                self.start_tour(url, "pr_screen_ready", login="admin")
            self.assertGreater(shot.stat().st_size, 10000, name)
