"""Benchmark: post 100,000 point movements through the ledger service, against a raw SQL insert.

Run by ``make bench`` on a throwaway database with the addon installed (``PR_BENCH_DB``, ``PR_ODOO_CONF``).
It seeds customers and tiers, builds a realistic mix of movements dated over the last year (earnings,
redemptions within the balance, adjustments), then, in the same run and on the same table:

1. inserts exactly the rows the service would write with ``execute_values`` (raw SQL), then rolls back;
2. posts them through ``pr.ledger.entry._post_movements`` in batches, balances and tiers included.

It prints entries per second for both, their ratio, and queries per batch.
"""

import argparse
import json
import os
import random
import time
from datetime import datetime, timedelta

from psycopg2.extras import execute_values

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

RAW_COLUMNS = (
    "member_id",
    "partner_id",
    "contact_id",
    "company_id",
    "date",
    "kind",
    "points",
    "state",
    "release_date",
    "expiry_date",
    "tier_id",
    "source_model",
    "source_id",
    "reason",
    "reversed_entry_id",
    "idempotency_key",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
)


def seed_customers(env, count):
    """Customers inserted in one statement: the benchmark measures the ledger, not partner creation."""
    cr = env.cr
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, active, type, is_company, autopost_bills, create_date, write_date)
        SELECT 'Bench customer ' || n, 'Bench customer ' || n, TRUE, 'contact', FALSE, 'ask', now(), now()
          FROM generate_series(1, %s) AS n
        RETURNING id
        """,
        [count],
    )
    ids = [row[0] for row in cr.fetchall()]
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [ids])
    env.invalidate_all()
    return ids


def seed_tiers(env):
    env["pr.tier"].search([]).action_archive()
    env["pr.tier"].create(
        [
            {"name": "Bronze", "min_points": 0},
            {"name": "Silver", "min_points": 500, "multiplier": 1.25},
            {"name": "Gold", "min_points": 1500, "multiplier": 1.5},
            {"name": "Platinum", "min_points": 4000, "multiplier": 2.0},
        ]
    )


def make_movements(partner_ids, count, seed=42):
    """A year of activity: 80 % earnings, 15 % redemptions within the balance, 5 % adjustments."""
    rng = random.Random(seed)
    now = datetime.now().replace(microsecond=0)
    balance = dict.fromkeys(partner_ids, 0)
    dates = sorted(now - timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count))
    movements = []
    for index, date in enumerate(dates):
        partner = rng.choice(partner_ids)
        draw = rng.random()
        if draw < 0.15 and balance[partner] >= 100:
            kind, points = "redeem", -rng.randrange(50, balance[partner] + 1, 50)
        elif draw < 0.20:
            kind, points = "adjust", rng.randrange(10, 200, 10)
        else:
            kind, points = "earn", rng.randrange(5, 400)
        balance[partner] += points
        movements.append(
            {
                "partner_id": partner,
                "kind": kind,
                "points": points,
                "date": date,
                "reason": kind,
                "idempotency_key": f"bench:{index}",
            }
        )
    return movements


def raw_rows(env, movements):
    """The rows the service writes, resolved in Python beforehand so that only the INSERT is timed."""
    company = env.company
    members = {}
    env.cr.execute(
        """
        INSERT INTO pr_member (partner_id, company_id, points_available, points_pending, points_lifetime,
                               points_expiring, points_window)
        SELECT DISTINCT p, %s, 0, 0, 0, 0, 0 FROM unnest(%s::int[]) AS p
        RETURNING id, partner_id
        """,
        [company.id, list({m["partner_id"] for m in movements})],
    )
    members = {partner: member for member, partner in env.cr.fetchall()}
    now = datetime.now()
    rows = []
    for m in movements:
        expiry = (m["date"] + timedelta(days=365)).date() if m["points"] > 0 else None
        rows.append(
            (
                members[m["partner_id"]],
                m["partner_id"],
                m["partner_id"],
                company.id,
                m["date"],
                m["kind"],
                m["points"],
                "available",
                None,
                expiry,
                None,
                None,
                None,
                json.dumps({"en_US": m["reason"]}),  # a translated field: jsonb by language
                None,
                m["idempotency_key"] + ":raw",
                SUPERUSER_ID,
                now,
                SUPERUSER_ID,
                now,
            )
        )
    return rows


def run(database, customers, count, batch_size):
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        partner_ids = seed_customers(env, customers)
        seed_tiers(env)
    movements = make_movements(partner_ids, count)
    batches = [movements[i : i + batch_size] for i in range(0, count, batch_size)]

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        rows = raw_rows(env, movements)
        start = time.perf_counter()
        for i in range(0, len(rows), batch_size):
            execute_values(
                cr._obj,
                f"INSERT INTO pr_ledger_entry ({', '.join(RAW_COLUMNS)}) VALUES %s",
                rows[i : i + batch_size],
                page_size=batch_size,
            )
        raw_seconds = time.perf_counter() - start
        cr.rollback()

    queries = []
    start = time.perf_counter()
    for batch in batches:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            before = cr.sql_log_count
            env["pr.ledger.entry"]._post_movements(batch)
            queries.append(cr.sql_log_count - before)
    service_seconds = time.perf_counter() - start

    with registry.cursor() as cr:
        cr.execute("SELECT COUNT(*), SUM(points) FROM pr_ledger_entry WHERE partner_id = ANY(%s)", [partner_ids])
        posted, total = cr.fetchone()
        cr.execute(
            "SELECT SUM(points_available + points_pending) FROM pr_member WHERE partner_id = ANY(%s)", [partner_ids]
        )
        balances = cr.fetchone()[0]
        cr.execute(
            "SELECT t.name->>'en_US', COUNT(*) FROM pr_member m JOIN pr_tier t ON t.id = m.tier_id "
            "GROUP BY 1 ORDER BY 2 DESC"
        )
        tiers = cr.fetchall()
    assert posted == count and total == balances, (posted, total, balances)

    print(f"customers: {customers}, movements: {count}, batch size: {batch_size}")
    print(f"raw SQL insert:   {raw_seconds:8.2f} s  {count / raw_seconds:10.0f} entries/s")
    print(
        f"ledger service:   {service_seconds:8.2f} s  {count / service_seconds:10.0f} entries/s "
        "(validation, locks, balances, tiers, history, commit per batch)"
    )
    print(f"ratio service/raw: {service_seconds / raw_seconds:.2f}x")
    print(f"queries per batch: min {min(queries)}, max {max(queries)}, mean {sum(queries) / len(queries):.1f}")
    print(f"ledger total {total} points = member balances {balances}; tiers: {tiers}")


def bench_main(description, run, count_option, count_default, customers_default=20000):
    """Command line of a benchmark script: ``--customers``, the count option and ``--batch-size``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=customers_default)
    parser.add_argument(f"--{count_option}", type=int, default=count_default)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    config.parse_config(["-c", os.environ["PR_ODOO_CONF"], "-d", os.environ["PR_BENCH_DB"], "--log-level=warn"])
    run(os.environ["PR_BENCH_DB"], args.customers, getattr(args, count_option), args.batch_size)


if __name__ == "__main__":
    bench_main(__doc__.splitlines()[0], run, "movements", 100000)
