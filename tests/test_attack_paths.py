"""Paths an attacker tried on the live tree, each refused and leaving points, ledger and figures as they were.

Every call goes the way an outside program or a browser would: ``/json/2`` with the role's API key, or
``/web/dataset/call_kw`` with a portal session. Each refusal is checked against a call that is let through
(a system administrator, a program user), so that a test cannot pass because its call was wrong.
"""

import json
from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

ACCESS_ERROR = "odoo.exceptions.AccessError"
PR_USER = "positive_reinforcement.positive_reinforcement_group_user"
PR_MANAGER = "positive_reinforcement.positive_reinforcement_group_manager"
ROLES = {
    "employee": "base.group_user",
    "salesman": "sales_team.group_sale_salesman",
    "user": f"{PR_USER},sales_team.group_sale_salesman",
    "integration": "positive_reinforcement.positive_reinforcement_group_integration",
    "manager": f"{PR_MANAGER},sales_team.group_sale_salesman",
}


@tagged("post_install", "-at_install")
class TestAttackPaths(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.users = {role: new_test_user(env, login=f"atk_{role}", groups=groups) for role, groups in ROLES.items()}
        cls.admin = env.ref("base.user_admin")
        expiry = fields.Datetime.now() + timedelta(days=1)
        cls.keys = {
            role: env["res.users.apikeys"].with_user(user)._generate(None, "attack", expiry)
            for role, user in [*cls.users.items(), ("admin", cls.admin)]
        }
        cls.portal = new_test_user(env, login="atk_portal", groups="base.group_portal")
        cls.customer = env["res.partner"].create({"name": "Attack Customer", "email": "atk.customer@example.com"})
        cls.desk = env["product.product"].create({"name": "Attack Desk", "list_price": 5000.0})

    def _json2(self, role, model, method, ids=(), context=None, **params):
        body = {"ids": list(ids), **params}
        if context:
            body["context"] = context
        return self.url_open(
            f"/json/2/{model}/{method}",
            data=json.dumps(body),
            headers={
                "Authorization": f"bearer {self.keys[role]}",
                "Content-Type": "application/json",
                "X-Odoo-Database": self.env.cr.dbname,
            },
            timeout=60,
        )

    def assertRefused(self, response):
        self.assertEqual(response.status_code, 403, response.text[:500])
        self.assertEqual(response.json()["name"], ACCESS_ERROR)

    # ------------------------------------------------------------
    # Server actions run by hand
    # ------------------------------------------------------------

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_actions")
    def test_the_purchase_recorder_runs_from_its_rule_only(self):
        """Run by hand on a quotation, the rule's action would record a purchase nobody made (points pending)."""
        quotation = (
            self.env["sale.order"]
            .with_user(self.users["salesman"])
            .create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [(0, 0, {"product_id": self.desk.id, "product_uom_qty": 100})],
                }
            )
        )
        action = self.env.ref("positive_reinforcement.action_sale_order_purchase")
        context = {"active_model": "sale.order", "active_ids": quotation.ids, "active_id": quotation.id}
        key = f"sale.order:{quotation.id}:purchase"
        Event = self.env["pr.event"].with_context(active_test=False)
        for role in ROLES:
            with self.subTest(role=role):
                self.assertRefused(self._json2(role, "ir.actions.server", "run", action.ids, context))
                self.assertFalse(Event.search_count([("idempotency_key", "=", key)]))
        self.assertEqual(quotation.state, "draft")
        # The same call by a system administrator is what the rule does: it records (the test's call is right).
        response = self._json2("admin", "ir.actions.server", "run", action.ids, context)
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(Event.search_count([("idempotency_key", "=", key)]), 1)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_actions")
    def test_scheduled_actions_run_on_schedule_only(self):
        """A scheduled action's code runs as whoever calls ``run()``: a portal session, a program manager."""
        cron = self.env.ref("positive_reinforcement.ir_cron_grant_badges")
        action = cron.ir_actions_server_id
        grants = self.env["pr.badge.grant"].search_count([])
        self.assertRefused(self._json2("manager", "ir.actions.server", "run", action.ids))
        self.assertEqual(self.env["pr.badge.grant"].search_count([]), grants)
        response = self._json2("admin", "ir.actions.server", "run", action.ids)
        self.assertEqual(response.status_code, 200, response.text[:500])
        grants = self.env["pr.badge.grant"].search_count([])
        self.authenticate("atk_portal", "atk_portal")
        answer = self.url_open(
            "/web/dataset/call_kw/ir.actions.server/run",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"model": "ir.actions.server", "method": "run", "args": [action.ids], "kwargs": {}},
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        self.assertEqual(answer.get("error", {}).get("data", {}).get("name"), ACCESS_ERROR, answer)
        self.assertEqual(self.env["pr.badge.grant"].search_count([]), grants)

    # ------------------------------------------------------------
    # Contacts
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_only_program_users_put_a_customer_on_the_leaderboard(self):
        """The leaderboard shows the customer's name to other customers: a salesperson may not opt them in."""
        self.assertRefused(
            self._json2("salesman", "res.partner", "write", self.customer.ids, vals={"pr_leaderboard_opt_in": True})
        )
        self.assertRefused(
            self._json2(
                "salesman", "res.partner", "create", vals_list=[{"name": "Atk Opted", "pr_leaderboard_opt_in": True}]
            )
        )
        self.assertFalse(self.customer.pr_leaderboard_opt_in)
        self.assertFalse(self.env["res.partner"].search_count([("name", "=", "Atk Opted")]))
        # The value a contact already has is let through (a merge, an import of unchanged rows).
        unchanged = {"pr_leaderboard_opt_in": False, "phone": "+62 21 555 0177"}
        response = self._json2("salesman", "res.partner", "write", self.customer.ids, vals=unchanged)
        self.assertEqual(response.status_code, 200, response.text[:500])
        response = self._json2("user", "res.partner", "write", self.customer.ids, vals={"pr_leaderboard_opt_in": True})
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.pr_leaderboard_opt_in)

    def test_every_loyalty_field_a_role_is_shown_on_contacts_can_be_read(self):
        """A field ``fields_get`` shows a role but reading it is refused breaks every client reading all fields."""
        for role in ROLES:
            with self.subTest(role=role):
                shown = self._json2(role, "res.partner", "fields_get", attributes=["type"]).json()
                names = sorted(name for name in shown if name.startswith("pr_"))
                self.assertIn("pr_referral_code", names)
                response = self._json2(
                    role, "res.partner", "search_read", domain=[("id", "=", self.customer.id)], fields=names
                )
                self.assertEqual(response.status_code, 200, response.text[:500])
                self.assertEqual(response.json()[0]["id"], self.customer.id)
        self.assertNotIn("pr_referral_count", self._json2("salesman", "res.partner", "fields_get").json())

    # ------------------------------------------------------------
    # Surveys
    # ------------------------------------------------------------

    def test_survey_officers_do_not_decide_what_pays(self):
        """A testimonial and a feedback survey earn points: the program's users and managers switch them on."""
        officer = new_test_user(self.env, login="atk_officer", groups="base.group_user,survey.group_survey_user")
        both = new_test_user(
            self.env, login="atk_officer_pr", groups=f"base.group_user,survey.group_survey_user,{PR_USER}"
        )
        survey = self.env["survey.survey"].create({"title": "Attack survey"})
        answer = self.env["survey.user_input"].create({"survey_id": survey.id, "partner_id": self.customer.id})
        with self.assertRaises(AccessError):
            answer.with_user(officer).write({"pr_testimonial": True})
        with self.assertRaises(AccessError):
            survey.with_user(officer).write({"pr_feedback": True})
        with self.assertRaises(AccessError):
            self.env["survey.survey"].with_user(officer).create({"title": "Pays", "pr_feedback": True})
        self.assertFalse(answer.pr_testimonial)
        self.assertFalse(survey.pr_feedback)
        # The officer edits surveys and answers as before; a program user marks the testimonial.
        survey.with_user(officer).write({"title": "Attack survey, renamed", "pr_feedback": False})
        answer.with_user(officer).write({"email": "atk.customer@example.com", "pr_testimonial": False})
        answer.with_user(both).write({"pr_testimonial": True})
        self.assertTrue(answer.pr_testimonial)

    # ------------------------------------------------------------
    # Other companies
    # ------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_a_user_of_one_company_reads_nothing_of_another(self):
        """Members, ledger, referrals, feedback, fits, metrics and the referral report of company B, read from A."""
        other = self.env["res.company"].create({"name": "Attack Company B"})
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=[other.id]))
        env_b["pr.ledger.entry"]._post_movements(
            [{"partner_id": self.customer.id, "points": 321, "kind": "earn", "reason": "B", "company_id": other.id}]
        )
        friend = self.env["res.partner"].create({"name": "Attack Friend B", "email": "atk.friend.b@example.com"})
        env_b["pr.referral"]._refer(self.customer, friend=friend)
        env_b["pr.feedback"].create(
            {"partner_id": self.customer.id, "contact_id": self.customer.id, "metric": "nps", "score": 2}
        )
        self.env["pr.clv.fit"].create(
            {"company_id": other.id, "date": date.today(), "model": "bgnbd", "state": "failed", "failure": "few_repeat"}
        )
        start = date.today().replace(day=1)
        self.env["pr.metric"].create(
            {"company_id": other.id, "period": "month", "date": start, "dimension": "all", "customers_end": 9}
        )
        models = [
            "pr.member",
            "pr.ledger.entry",
            "pr.referral",
            "pr.feedback",
            "pr.clv.fit",
            "pr.metric",
            "pr.referral.report",
        ]
        for model in models:
            self.assertTrue(self.env[model].search_count([("company_id", "=", other.id)]), model)
            for role in ("user", "manager"):
                with self.subTest(model=model, role=role):
                    rows = self._json2(role, model, "search_read", domain=[], fields=["company_id"]).json()
                    self.assertNotIn(other.id, {row["company_id"][0] for row in rows})
                    groups = self._json2(
                        role, model, "formatted_read_group", domain=[], groupby=["company_id"], aggregates=["__count"]
                    ).json()
                    self.assertNotIn(other.id, {group["company_id"][0] for group in groups})
                    response = self._json2(role, model, "search_read", context={"allowed_company_ids": [other.id]})
                    self.assertRefused(response)
