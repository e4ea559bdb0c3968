"""The access matrix over ``/json/2``: each internal role with an API key of its own, as a program would call.

The rows of ``access_matrix_common`` are called over HTTP with a bearer key per role (employee, salesman,
user, integration, manager). A row refused to a role must answer 403 (``AccessError``; a row refused to
everyone may answer with its business error, 422) and write nothing; a row allowed to a role must not be
refused (200, or 422 when the business says no to these arguments). Transient wizards are created by each
allowed role for itself; the refused roles are given the manager's, as an attacker would forge its id.
"""

import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .access_matrix_common import INTERNAL, WATCHED, AccessMatrixCase

ACCESS_ERROR = "odoo.exceptions.AccessError"
USER_ERROR = "odoo.exceptions.UserError"


@tagged("post_install", "-at_install")
class TestAccessMatrixJson2(AccessMatrixCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        expiry = fields.Datetime.now() + timedelta(days=1)
        cls.keys = {
            role: cls.env["res.users.apikeys"].with_user(cls.users[role])._generate(None, "matrix", expiry)
            for role in INTERNAL
        }

    # ------------------------------------------------------------
    # Requests
    # ------------------------------------------------------------

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

    def _values(self):
        """``(create values, write values)`` per model, as JSON-2 takes them."""
        c = self
        create = {
            "base.automation": {"name": "J2 rule", "model_id": c.partner_model_id, "trigger": "on_create_or_write"},
            "crm.lead": {"name": "J2 lead", "user_id": False},
            "ir.actions.server": c._recorder_vals(c.automation),
            "pr.event": {"partner_id": c.customer.id, "behavior_id": c.social.id},
            "pr.experiment.variant": {"name": "J2", "weight": 1, "experiment_id": c.experiment.id},
            "pr.feedback": {"partner_id": c.customer.id, "contact_id": c.customer.id, "metric": "nps", "score": 10},
            "pr.ledger.entry": {"partner_id": c.customer.id, "points": 5, "kind": "adjust", "reason": "j2"},
            "pr.surprise.gift": {"name": "J2 flowers", "partner_id": c.customer.id, "value": 1},
            "pr.tier.simulation": {},
            "rating.rating": {
                "res_model_id": c.partner_model_id,
                "res_id": c.friend.id,
                "partner_id": c.friend.id,
                "rating": 5,
                "consumed": True,
            },
            "mailing.contact": {"name": "J2 reader", "email": "j2@example.com"},
            "product.category": {"name": "J2 premium", "pr_premium": True},
            "product.template": {"name": "J2 premium", "pr_premium": True},
            "res.company": {"name": "J2 company"},
            "res.partner": {"name": "J2 contact"},
            "sale.order": {"partner_id": c.friend.id},
            "survey.survey": {"title": "J2 survey"},
            "survey.user_input": {"survey_id": c.survey.id},
        }
        write = {
            "base.automation": {"active": True},
            "crm.lead": {"description": "j2"},
            "ir.actions.server": {"pr_behavior_id": c.social.id},
            "pr.behavior": {"color": 4},
            "pr.event": {"partner_email": "mx.portal@example.com"},
            "pr.experiment": {"name": "J2 renamed"},
            "pr.experiment.variant": {"weight": 3},
            "pr.feedback": {"score": 7},
            "pr.ledger.entry": {"points": 1},
            "pr.surprise.gift": {"name": "J2 renamed"},
            "product.category": {"pr_premium": True},
            "product.template": {"pr_premium": True},
            "rating.rating": {"rating": 5, "consumed": True},
            "mailing.contact": {"list_ids": []},
            "loyalty.card": {"points": 3},
            "res.company": {"pr_checkout_enabled": False},
            "res.partner": {"phone": "+62 21 555 0199"},
            "sale.order": {"client_order_ref": "J2"},
            "survey.survey": {"pr_feedback": True},
            "survey.user_input": {"pr_testimonial": True},
        }
        return create, write

    def _wizard_values(self, role):
        c = self
        return {
            "pr.anonymize.wizard": {"partner_id": c.friend.id, "confirm": True},
            "pr.ledger.adjust": {"partner_id": c.customer.id, "points": 5, "reason": "j2"},
            "pr.redeem": {"partner_id": c.customer.id, "reward_id": c.reward.id},
            "pr.referral.invite": {
                "referrer_id": c.customer.id,
                "friend_name": "Nina",
                "friend_email": f"mx.j2.{role}@example.com",
            },
            "pr.replay.history": {},
            "pr.surprise.suggest": {"value": 1},
            "pr.tier.simulation": {},
        }

    def _wizards(self, role, matrix):
        """``{model: wizard}``: the role's own where it may use it, else the manager's (a forged id)."""
        wizards = {}
        for model, values in self._wizard_values(role).items():
            allowed = set().union(*(roles for (row_model, _m), (roles, _c) in matrix.items() if row_model == model))
            owner = role if role in allowed else "manager"
            wizards[model] = self.env[model].with_user(self.users[owner]).create(values)
        return wizards

    def _request(self, role, model, method, wizards):
        """``(ids, params, context)`` of the row ``model.method`` for ``role``."""
        create, write = self._values()
        records = self._row_records()
        records["pr.surprise.gift"] = self.approved_gift if method == "action_send" else self.gift
        ids = wizards[model].ids if model in wizards else records[model].ids if model in records else []
        if method == "create":
            return [], {"vals_list": [create[model]]}, {}
        if method == "write":
            return ids, {"vals": write[model]}, {}
        if method == "default_get":
            names = {"pr.ledger.adjust": ["partner_id", "points"], "pr.tier.simulation": ["line_ids"]}[model]
            return [], {"fields_list": names}, {"active_model": "res.partner", "active_id": self.customer.id}
        if method == "record_events":
            event = {"partner_id": self.customer.id, "behavior": "social_media", "external_id": f"j2-{role}"}
            return [], {"events": [event]}, {}
        if model == "res.users":
            return self.users["employee"].ids, {}, {}
        return ids, {}, {}

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    @mute_logger("odoo.http", "odoo.models", "odoo.addons.positive_reinforcement", "odoo.sql_db")
    def test_internal_roles_over_json2(self):
        matrix = self._matrix()
        wrong = []
        for role in INTERNAL:
            wizards = self._wizards(role, matrix)
            refused = [(row, roles) for row, (roles, _call) in sorted(matrix.items()) if role not in roles]
            allowed = [row for row, (roles, _call) in sorted(matrix.items()) if role in roles]
            before = self._snapshot()
            for (model, method), roles in refused:
                ids, params, context = self._request(role, model, method, wizards)
                response = self._json2(role, model, method, ids, context, **params)
                name = response.json().get("name") if response.status_code != 200 else None
                refusals = {ACCESS_ERROR} if roles else {ACCESS_ERROR, USER_ERROR}
                if name not in refusals:
                    wrong.append(f"{model}.{method} as {role}: expected a refusal, got {response.status_code} {name}")
            after = self._snapshot()
            changed = [table for table in WATCHED if after[table] != before[table]]
            if changed:
                wrong.append(f"the calls refused to {role} wrote {changed}")
            for model, method in allowed:
                ids, params, context = self._request(role, model, method, wizards)
                response = self._json2(role, model, method, ids, context, **params)
                if response.status_code not in (200, 422):
                    wrong.append(
                        f"{model}.{method} as {role}: allowed, got {response.status_code} {response.text[:300]}"
                    )
        self.assertFalse(wrong, "\n".join(wrong))
