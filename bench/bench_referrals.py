"""Benchmark: qualify 10,000 pending referrals whose friends placed their first order.

Run by ``make bench`` on a throwaway database with the addon installed (``PR_BENCH_DB``, ``PR_ODOO_CONF``).
Seeds referrers and friends, one pending referral per friend, and a confirmed order for each friend
(some below the minimum amount, some after the qualifying days, some from customers who already
bought, some sharing the referrer's email), then qualifies them all in batches, each committed, as
the cron does: qualifying orders found, fraud flags raised, the referrer's behaviour recorded and the
friend's welcome coupon issued.
"""

import time

from bench_ledger import bench_main, seed_customers

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry


def seed(env, count):
    company = env.company
    company.write(
        {
            "pr_referral_min_amount": 50,
            "pr_referral_days": 60,
            "pr_referral_cap": 0,
            "pr_referral_qualify_on": "confirmed",
        }
    )
    program = env["loyalty.program"].create(
        {
            "name": "Bench welcome",
            "program_type": "coupons",
            "trigger": "with_code",
            "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
        }
    )
    company.pr_referral_coupon_program_id = program
    referrers = seed_customers(env, count // 2)
    friends = seed_customers(env, count)
    env.cr.execute(
        "UPDATE res_partner SET email = 'ref' || id || '@example.com', email_normalized = 'ref' || id || '@example.com' WHERE id = ANY(%s)",
        [referrers],
    )
    env.cr.execute(
        "UPDATE res_partner SET email = 'friend' || id || '@example.com', email_normalized = 'friend' || id || '@example.com' WHERE id = ANY(%s)",
        [friends],
    )
    env.cr.execute(
        """
        INSERT INTO pr_referral (referrer_id, friend_partner_id, friend_name, company_id, channel, state, code, date,
                                 create_uid, create_date, write_uid, write_date)
        SELECT r.ids[1 + (n %% array_length(r.ids, 1))], f.id, 'Friend ' || f.id, %s, 'link', 'signed_up', 'BENCH',
               now() - interval '20 days', 1, now(), 1, now()
          FROM unnest(%s::int[]) WITH ORDINALITY AS f(id, n), (SELECT %s::int[] AS ids) AS r
        """,
        [company.id, friends, referrers],
    )
    env.cr.execute(
        """
        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id, partner_shipping_id, date_order,
                                state, amount_untaxed, amount_total, currency_id, create_uid, create_date, write_uid, write_date)
        SELECT 'BENCH/' || f.n, %s, f.id, f.id, f.id,
               now() - interval '20 days' + CASE WHEN f.n %% 20 = 0 THEN interval '90 days' ELSE interval '5 days' END,
               'sale', CASE WHEN f.n %% 10 = 0 THEN 20 ELSE 120 END, 130, %s, 1, now(), 1, now()
          FROM unnest(%s::int[]) WITH ORDINALITY AS f(id, n)
        """,
        [company.id, company.currency_id.id, friends],
    )
    # A few friends bought before they were referred; a few share their referrer's email.
    env.cr.execute(
        """
        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id, partner_shipping_id, date_order,
                                state, amount_untaxed, amount_total, currency_id)
        SELECT 'BENCH/OLD/' || f.id, %s, f.id, f.id, f.id, now() - interval '200 days', 'sale', 300, 300, %s
          FROM unnest(%s::int[]) AS f(id) WHERE f.id %% 50 = 0
        """,
        [company.id, company.currency_id.id, friends],
    )
    env.cr.execute(
        """
        UPDATE res_partner f SET email_normalized = r.email_normalized
          FROM pr_referral x JOIN res_partner r ON r.id = x.referrer_id
         WHERE x.friend_partner_id = f.id AND f.id % 97 = 0
        """
    )
    env.invalidate_all()


def run(database, customers, count, batch_size):
    registry = Registry(database)
    with registry.cursor() as cr:
        seed(api.Environment(cr, SUPERUSER_ID, {}), count)
    queries, start = [], time.perf_counter()
    last_id = 0
    while True:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            referrals = env["pr.referral"].search(
                [("state", "in", ("invited", "signed_up")), ("id", ">", last_id)], order="id", limit=batch_size
            )
            if not referrals:
                break
            before = cr.sql_log_count
            referrals._qualify()
            queries.append(cr.sql_log_count - before)
            last_id = referrals[-1].id
    seconds = time.perf_counter() - start
    with registry.cursor() as cr:
        cr.execute("SELECT state, COUNT(*) FROM pr_referral GROUP BY state ORDER BY state")
        states = cr.fetchall()
        cr.execute("SELECT COUNT(*) FROM loyalty_card")
        coupons = cr.fetchone()[0]
    print(f"pending referrals: {count}, batch size: {batch_size}")
    print(f"qualified in: {seconds:8.2f} s  {count / seconds:8.0f} referrals/s (limit: 10 s)")
    print(f"queries per batch: min {min(queries)}, max {max(queries)}, mean {sum(queries) / len(queries):.1f}")
    print(f"referrals by state: {states}; coupons issued: {coupons}")


if __name__ == "__main__":
    bench_main(__doc__.splitlines()[0], run, "referrals", 10000)
