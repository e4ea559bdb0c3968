"""Benchmark: process 100,000 behaviour events of 20,000 customers end to end.

Run by ``make bench`` on a throwaway database with the addon installed (``PR_BENCH_DB``, ``PR_ODOO_CONF``).
Events are seeded with SQL (a year of purchases, social media engagement and reviews), then claimed
and processed in batches, each in its own committed transaction, as the cron does: reward rules
matched with their limits and budgets, decisions written, ledger posted, balances and tiers updated.
It prints the time, events per second, queries per batch and the peak memory of the process.
"""

import resource
import time

from bench_ledger import bench_main, seed_customers, seed_tiers

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry


def seed_rules(env):
    env["pr.reward.rule"].search([]).action_archive()
    behavior = env.ref
    env["pr.reward.rule"].create(
        [
            {
                "name": "Spend",
                "behavior_id": behavior("positive_reinforcement.pr_behavior_purchase").id,
                "points_mode": "per_currency",
            },
            {
                "name": "Social",
                "behavior_id": behavior("positive_reinforcement.pr_behavior_social_media").id,
                "points": 10,
                "max_per_period": 5,
                "period": "month",
                "monthly_budget": 2_000_000,
            },
            {
                "name": "Review",
                "behavior_id": behavior("positive_reinforcement.pr_behavior_review").id,
                "points": 50,
                "once_per_customer": True,
            },
        ]
    )
    return [
        behavior(f"positive_reinforcement.pr_behavior_{code}").id for code in ("purchase", "social_media", "review")
    ]


def seed_events(env, partner_ids, behavior_ids, count):
    env.cr.execute(
        """
        INSERT INTO pr_event (partner_id, behavior_id, company_id, date, value, idempotency_key, state,
                              create_uid, create_date, write_uid, write_date)
        SELECT p.ids[1 + (n * 7919) %% array_length(p.ids, 1)],
               (%s::int[])[1 + CASE WHEN n %% 10 < 6 THEN 0 WHEN n %% 10 < 9 THEN 1 ELSE 2 END],
               %s, now() - make_interval(secs => (n * 313) %% (365 * 86400)),
               CASE WHEN n %% 10 < 6 THEN 20 + (n * 37) %% 480 ELSE 0 END,
               'bench:' || n, 'pending', 1, now(), 1, now()
          FROM generate_series(1, %s) AS n, (SELECT %s::int[] AS ids) AS p
        """,
        [behavior_ids, env.company.id, count, partner_ids],
    )


def run(database, customers, count, batch_size):
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        partner_ids = seed_customers(env, customers)
        seed_tiers(env)
        behavior_ids = seed_rules(env)
        seed_events(env, partner_ids, behavior_ids, count)
    queries, processed = [], 0
    start = time.perf_counter()
    while True:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            before = cr.sql_log_count
            events = env["pr.event"]._claim(batch_size)
            if not events:
                break
            events._pr_process()
            queries.append(cr.sql_log_count - before)
            processed += len(events)
    seconds = time.perf_counter() - start
    with registry.cursor() as cr:
        cr.execute("SELECT state, COUNT(*) FROM pr_event GROUP BY state ORDER BY state")
        states = cr.fetchall()
        cr.execute(
            "SELECT outcome, COUNT(*), COALESCE(SUM(points), 0) FROM pr_event_decision GROUP BY outcome ORDER BY outcome"
        )
        outcomes = cr.fetchall()
        cr.execute("SELECT COALESCE(SUM(points), 0) FROM pr_ledger_entry WHERE partner_id = ANY(%s)", [partner_ids])
        ledger = cr.fetchone()[0]
        cr.execute(
            "SELECT COALESCE(SUM(points_available + points_pending), 0) FROM pr_member WHERE partner_id = ANY(%s)",
            [partner_ids],
        )
        balances = cr.fetchone()[0]
    assert processed == count and ledger == balances, (processed, ledger, balances)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"customers: {customers}, events: {count}, batch size: {batch_size}")
    print(f"processed end to end: {seconds:8.2f} s  {count / seconds:8.0f} events/s (limit: 60 s)")
    print(f"queries per batch: min {min(queries)}, max {max(queries)}, mean {sum(queries) / len(queries):.1f}")
    print(f"peak memory of the process: {peak_mb:.0f} MiB")
    print(f"events by state: {states}")
    print(f"decisions: {outcomes}")
    print(f"ledger total {ledger} points = member balances {balances}")


if __name__ == "__main__":
    bench_main(__doc__.splitlines()[0], run, "events", 100000)
