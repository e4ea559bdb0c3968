import threading
import uuid
from functools import partial

import pytest

from odoo.exceptions import UserError
from odoo.service.model import retrying


@pytest.fixture
def checkout_orders(env_factory, customer):
    """Two quotations of the same customer, each paying 1,000 of the customer's 1,000 points."""
    with env_factory() as env:
        company = env.company
        before = {"pr_checkout_enabled": company.pr_checkout_enabled, "pr_point_value": company.pr_point_value}
        company.write(
            {
                "pr_checkout_enabled": True,
                "pr_point_value": 0.01,
                "pr_checkout_min_points": 100,
                "pr_checkout_max_share": 100.0,
                "pr_checkout_tier_ids": [(5, 0, 0)],
            }
        )
        env["pr.ledger.entry"]._post_movements(
            [{"partner_id": customer, "points": 900, "kind": "earn", "reason": "seed"}]
        )
        product = env["product.product"].create({"name": f"Till {uuid.uuid4().hex[:6]}", "list_price": 50.0})
        orders = env["sale.order"].create(
            [
                {"partner_id": customer, "order_line": [(0, 0, {"product_id": product.id, "price_unit": 50.0})]}
                for _tab in range(2)
            ]
        )
        for order in orders:
            order.action_pr_pay_with_points()
            assert order.pr_points_spent == 1000
        order_ids = orders.ids
    yield order_ids
    with env_factory() as env:
        env.company.write(before)


def test_two_tabs_spending_the_same_points_cannot_overdraw(env_factory, customer, checkout_orders):
    barrier, outcomes = threading.Barrier(2), []

    def confirm(order_id):
        barrier.wait(10)
        try:
            with env_factory() as env:
                order = env["sale.order"].browse(order_id)
                retrying(order.action_confirm, env)
            outcomes.append("confirmed")
        except UserError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=partial(confirm, order_id)) for order_id in checkout_orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(outcomes) == 2 and outcomes.count("confirmed") == 1, outcomes
    refused = next(outcome for outcome in outcomes if outcome != "confirmed")
    assert "no longer available" in refused, refused
    with env_factory() as env:
        orders = env["sale.order"].browse(checkout_orders)
        assert sorted(orders.mapped("state")) == ["draft", "sale"]
        spends = env["pr.ledger.entry"].search(
            [("source_model", "=", "sale.order"), ("source_id", "in", checkout_orders), ("kind", "=", "redeem")]
        )
        assert spends.mapped("points") == [-1000]
        member = env["pr.member"].search([("partner_id", "=", customer)])
        assert member.points_available == 0
        card = env["loyalty.card"].search(
            [("program_id", "=", env.company.pr_checkout_program_id.id), ("partner_id", "=", customer)]
        )
        assert card.points == 0
