"""Benchmark: paying part of an order with points, against the same order paid with an ordinary Odoo reward.

Run by ``make bench`` on a throwaway database with the addon installed (``PR_BENCH_DB``, ``PR_ODOO_CONF``).
Customers hold 5,000 points three times: on the reward ledger (mirrored on their card of the company's
points program, *Points at checkout*), on a card of an ordinary Odoo loyalty program as Odoo creates
it (its rule gives a point per currency unit spent) whose reward is the same discount per point, and
on a card of a bare Odoo loyalty program (the same reward, no rule: the points program without the
ledger). Each measured transaction applies one reward to a new quotation of two products (200.00, so
5,000 points pay 50.00 in every case) and confirms it, as a salesperson or the eCommerce checkout does
(``_update_programs_and_rewards``, ``_apply_program_reward``, ``action_confirm``), and commits. The
kinds alternate, after a warm-up; the script prints the median time and the queries of each, and
exits 1 when paying with points costs more than 10% more time or 3 more queries than the ordinary
Odoo reward (README, Points at checkout).
"""

import argparse
import os
import statistics
import sys
import time

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tools import config

POINTS = 5000
MAX_TIME_RATIO = 1.10
MAX_EXTRA_QUERIES = 3


def setup(registry, customers):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["pr.reward.rule"].search([]).action_archive()
        company = env.company
        company.write(
            {
                "pr_point_value": 0.01,
                "pr_checkout_min_points": 100,
                "pr_checkout_max_share": 50.0,
                "pr_checkout_tier_ids": [Command.clear()],
                "pr_checkout_enabled": True,
            }
        )
        programs = {}
        for kind, rules in (
            ("ordinary", [Command.clear(), Command.create({"reward_point_mode": "money", "reward_point_amount": 1})]),
            ("bare", [Command.clear()]),
        ):
            programs[kind] = env["loyalty.program"].create(
                {
                    "name": f"Bench {kind} loyalty",
                    "program_type": "loyalty",
                    "applies_on": "both",
                    "trigger": "auto",
                    "rule_ids": rules,
                    "reward_ids": [
                        Command.clear(),
                        Command.create(
                            {
                                "reward_type": "discount",
                                "discount_mode": "per_point",
                                "discount": 0.01,
                                "discount_applicability": "order",
                                "required_points": 1,
                                "description": f"{kind} points",
                            }
                        ),
                    ],
                }
            )
        partners = env["res.partner"].create([{"name": f"Checkout bench {n}"} for n in range(customers)])
        env["loyalty.card"].create(
            [
                {"program_id": program.id, "partner_id": partner.id, "points": POINTS}
                for program in programs.values()
                for partner in partners
            ]
        )
        env["pr.ledger.entry"]._post_movements(
            [{"partner_id": partner.id, "kind": "earn", "points": POINTS, "reason": "bench"} for partner in partners]
        )
        products = env["product.product"].create(
            [
                {"name": "Bench desk", "list_price": 120.0, "taxes_id": False},
                {"name": "Bench lamp", "list_price": 80.0, "taxes_id": False},
            ]
        )
        return {
            "partners": partners.ids,
            "products": products.ids,
            **{kind: (program.id, program.reward_ids.id) for kind, program in programs.items()},
            "points": (company.pr_checkout_program_id.id, company.pr_checkout_program_id.reward_ids.id),
        }


def prepare(registry, data, partner_id):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        order = env["sale.order"].create(
            {
                "partner_id": partner_id,
                "order_line": [Command.create({"product_id": product_id}) for product_id in data["products"]],
            }
        )
        return order.id


def pay_and_confirm(registry, data, kind, order_id):
    """Apply the reward of ``kind`` to the order and confirm it: one transaction, timed and counted."""
    program_id, reward_id = data[kind]
    start = time.perf_counter()
    cr = registry.cursor()
    try:
        env = api.Environment(cr, SUPERUSER_ID, {})
        order = env["sale.order"].browse(order_id)
        order._update_programs_and_rewards()
        card = order.applied_coupon_ids.filtered(lambda c: c.program_id.id == program_id)
        outcome = order._apply_program_reward(env["loyalty.reward"].browse(reward_id), card)
        assert not outcome.get("error"), outcome
        order.action_confirm()
        cr.commit()
        queries = cr.sql_log_count
    finally:
        cr.close()
    return time.perf_counter() - start, queries


def check(registry, data, order_ids, total=150.0):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        orders = env["sale.order"].browse(order_ids)
        assert set(orders.mapped("state")) == {"sale"}, orders.mapped("state")
        spent = env["pr.ledger.entry"].search_count(
            [("source_model", "=", "sale.order"), ("source_id", "in", order_ids), ("kind", "=", "redeem")]
        )
        assert all(abs(order.amount_total - total) < 0.011 for order in orders), orders.mapped("amount_total")
        return spent


def run(database, customers, rounds):
    registry = Registry(database)
    data = setup(registry, customers)
    partners = iter(data["partners"])
    kinds = ("ordinary", "bare", "points")
    measures = {kind: [] for kind in kinds}
    order_ids = {kind: [] for kind in kinds}
    for round_ in range(rounds + 2):  # two rounds of warm-up
        for kind in kinds[round_ % 3 :] + kinds[: round_ % 3]:
            order_id = prepare(registry, data, next(partners))
            seconds, queries = pay_and_confirm(registry, data, kind, order_id)
            order_ids[kind].append(order_id)
            if round_ >= 2:
                measures[kind].append((seconds, queries))
    spent = check(registry, data, order_ids["points"])
    assert spent == len(order_ids["points"]), spent
    check(registry, data, order_ids["ordinary"], total=148.0)  # its rule adds 200 points to the 5,000 at once
    check(registry, data, order_ids["bare"])

    result = {}
    for kind, values in measures.items():
        result[kind] = (statistics.median(v[0] for v in values), statistics.mean(v[1] for v in values))
        print(f"{kind:>8}: median {result[kind][0] * 1000:7.1f} ms, {result[kind][1]:5.1f} queries per order")
    for base in ("ordinary", "bare"):
        ratio = result["points"][0] / result[base][0]
        extra = result["points"][1] - result[base][1]
        print(f"paying with points vs {base}: {ratio:.3f}x the time, {extra:+.1f} queries ({rounds} orders each)")
    ratio = result["points"][0] / result["ordinary"][0]
    extra = result["points"][1] - result["ordinary"][1]
    ok = ratio <= MAX_TIME_RATIO and extra <= MAX_EXTRA_QUERIES
    print("OK" if ok else f"TOO SLOW: at most {MAX_TIME_RATIO:.2f}x and {MAX_EXTRA_QUERIES:+d} queries")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    config.parse_config(["-c", os.environ["PR_ODOO_CONF"], "-d", os.environ["PR_BENCH_DB"], "--log-level=warn"])
    sys.exit(0 if run(os.environ["PR_BENCH_DB"], 3 * args.rounds + 6, args.rounds) else 1)


if __name__ == "__main__":
    main()
