"""Real concurrency, which Odoo's test transaction hides: two connections to a committed database.

``make test`` runs these with the Odoo tier, on its throwaway database, with ``PR_TEST_DB`` and
``PR_ODOO_CONF`` set. They commit, so never point them at a database you care about.
"""

import os
import uuid

import pytest


@pytest.fixture(scope="session")
def registry():
    database, config_file = os.environ.get("PR_TEST_DB"), os.environ.get("PR_ODOO_CONF")
    if not database or not config_file:
        pytest.fail("PR_TEST_DB and PR_ODOO_CONF must name a throwaway database with the addon installed")
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", config_file, "-d", database])
    return Registry(database)


@pytest.fixture
def env_factory(registry):
    """Open a new connection as superuser: ``with env_factory() as env: ...`` commits at the end."""
    from contextlib import contextmanager

    from odoo import SUPERUSER_ID, api

    @contextmanager
    def factory():
        with registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    return factory


@pytest.fixture
def customer(env_factory):
    """A committed customer holding 100 available points."""
    with env_factory() as env:
        partner = env["res.partner"].create({"name": f"Concurrent {uuid.uuid4().hex[:8]}"})
        env["pr.ledger.entry"]._post_movements(
            [{"partner_id": partner.id, "points": 100, "kind": "earn", "reason": "seed"}]
        )
        return partner.id
