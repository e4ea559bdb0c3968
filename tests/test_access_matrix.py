"""Every public method of the addon, called as each role: refused or allowed as the README's role model says.

Odoo lets anyone signed in call any public method over ``/json/2`` and ``/web/dataset/call_kw``. The matrix
(``access_matrix_common``) has one row per public method of every model the addon defines or extends; a new
public method without its row fails ``test_every_public_method_has_a_row``. Internal roles call with
``with_user`` here and over ``/json/2`` with their API keys in ``test_access_matrix_http``, the portal
customer and the public visitor over HTTP. A refusal must be an ``AccessError`` and must write nothing.
"""

import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .access_matrix_common import INTERNAL, WATCHED, AccessMatrixCase, addon_public_methods


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixCase):
    def _rpc(self, model, method, args):
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"model": model, "method": method, "args": args, "kwargs": {}},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def _rpc_args(self, model, method):
        ids = self._row_records()
        if method == "create":
            values = {"name": "x", "partner_id": self.customer.id}
            return [[{name: value for name, value in values.items() if name in self.env[model]._fields}]]
        if method == "write":
            return [ids[model].ids, {"name": "x"}]
        if method == "default_get":
            return [["partner_id"]]
        if method == "record_events":
            return [[{"partner_id": self.customer.id, "behavior": "social_media", "external_id": "rpc-1"}]]
        return [ids[model].ids if model in ids else []]

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    def test_every_public_method_has_a_row(self):
        found = addon_public_methods(self.env)
        rows = set(self._matrix())
        self.assertFalse(found - rows, "public methods without a row in the access matrix")
        self.assertFalse(rows - found, "rows of the access matrix for methods that are no longer public")

    @mute_logger("odoo.models", "odoo.addons.positive_reinforcement", "odoo.sql_db")
    def test_internal_roles(self):
        wrong = []
        for (model, method), (allowed, call) in sorted(self._matrix().items()):
            for role in INTERNAL:
                expected = "allowed" if role in allowed else "refused"
                try:
                    outcome, changed = self._try(role, call)
                except Exception as error:  # noqa: BLE001 - reported below with the row
                    outcome, changed = f"error {type(error).__name__}: {error}", None
                if outcome != expected:
                    wrong.append(f"{model}.{method} as {role}: expected {expected}, got {outcome}")
                elif changed:
                    wrong.append(f"{model}.{method} as {role}: refused but wrote {changed}")
        self.assertFalse(wrong, "\n".join(wrong))

    @mute_logger("odoo.http", "odoo.models")
    def test_portal_customer_over_rpc(self):
        self.authenticate("mx_portal", "mx_portal")
        before = self._snapshot()
        wrong = []
        for model, method in sorted(self._matrix()):
            answer = self._rpc(model, method, self._rpc_args(model, method))
            name = answer.get("error", {}).get("data", {}).get("name")
            refusals = {"odoo.exceptions.AccessError"}
            if not self._matrix()[model, method][0]:
                # Refused to everyone (the ledger is append-only): the business error is the refusal.
                refusals.add("odoo.exceptions.UserError")
            if name not in refusals:
                wrong.append(f"{model}.{method}: {name or answer.get('result')}")
        self.assertFalse(wrong, "\n".join(wrong))
        after = self._snapshot()
        self.assertEqual(
            [table for table in WATCHED if after[table] != before[table]], [], "refused portal calls wrote nothing"
        )

    @mute_logger("odoo.http")
    def test_public_visitor_over_rpc(self):
        before = self._snapshot()
        for model, method in sorted(self._matrix()):
            answer = self._rpc(model, method, self._rpc_args(model, method))
            self.assertEqual(
                answer.get("error", {}).get("data", {}).get("name"),
                "odoo.http.SessionExpiredException",
                f"{model}.{method} answered a public visitor",
            )
        after = self._snapshot()
        self.assertEqual([table for table in WATCHED if after[table] != before[table]], [])
