"""Benchmark: score 100,000 customers and refresh the metrics over 1,000,000 sales order lines.

Run by ``make bench`` on a throwaway database with the addon installed (``PR_BENCH_DB``, ``PR_ODOO_CONF``).
Seeds customers whose purchases follow the BG/NBD story (each buys at a rate of their own and may
drop out after any purchase) over three years, with order values that vary by customer, 1 to 6
lines per order, and NPS answers from a tenth of them. Then measures, each
committed as the cron does: scoring (RFM, BG/NBD and Gamma-Gamma fitted and applied), fitting the
two models on 10,000 customers, refreshing the metrics, and opening every metrics view; each against
raw SQL doing the least the same screen needs.
"""

import time

import numpy as np
from bench_ledger import bench_main, seed_customers

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry

DAYS = 3 * 365


def simulate_orders(customers, lines_wanted, seed=7):
    """Purchase days and values per customer: a Poisson rate per customer, a dropout chance per purchase."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(0.6, 1 / 12.0, customers.size)  # purchases per day
    dropout = rng.beta(0.8, 2.5, customers.size)
    mean_value = rng.gamma(6.0, 15.0, customers.size)
    start = rng.integers(0, DAYS, customers.size)
    partner, day, value = [], [], []
    current = start.astype(float)
    alive = np.ones(customers.size, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        partner.append(customers[idx])
        day.append(current[idx].astype(int))
        value.append(rng.gamma(4.0, mean_value[idx] / 4.0))
        current[idx] += rng.exponential(1 / np.maximum(rates[idx], 1e-4))
        alive[idx] = (current[idx] < DAYS) & (rng.random(idx.size) > dropout[idx])
    partner, day, value = np.concatenate(partner), np.concatenate(day), np.concatenate(value)
    lines = rng.integers(1, 7, partner.size)
    # Trim or repeat to reach about the number of lines asked for.
    scale = lines_wanted / lines.sum()
    if scale < 1:
        keep = rng.random(partner.size) < scale
        partner, day, value, lines = partner[keep], day[keep], value[keep], lines[keep]
    return partner, day, np.round(value, 2), lines


def seed(env, customer_count, lines_wanted):
    company = env.company
    customers = np.array(seed_customers(env, customer_count))
    partner, day, value, lines = simulate_orders(customers, lines_wanted)
    today = fields.Date.context_today(env["pr.metric"])
    env.cr.execute(
        """
        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id, partner_shipping_id, date_order,
                                state, amount_untaxed, amount_total, margin, currency_id, currency_rate,
                                create_uid, create_date, write_uid, write_date)
        SELECT 'BENCH/' || o.n, %s, o.p, o.p, o.p, %s::date - (%s - o.d) * interval '1 day', 'sale', o.v, o.v * 1.1,
               o.v * 0.3, %s, 1, 1, now(), 1, now()
          FROM unnest(%s::int[], %s::int[], %s::numeric[]) WITH ORDINALITY AS o(p, d, v, n)
        RETURNING id
        """,
        [company.id, today, DAYS, company.currency_id.id, partner.tolist(), day.tolist(), value.tolist()],
    )
    order_ids = [row[0] for row in env.cr.fetchall()]
    product = env["product.product"].create({"name": "Bench beans", "list_price": 10.0})
    env.cr.execute(
        """
        INSERT INTO sale_order_line (order_id, name, product_id, product_uom_qty, price_unit, price_subtotal,
                                     customer_lead, company_id, currency_id, state, create_uid, create_date,
                                     write_uid, write_date)
        SELECT o.id, 'Bench beans', %s, 1, o.v / o.k, o.v / o.k, 0, %s, %s, 'sale', 1, now(), 1, now()
          FROM unnest(%s::int[], %s::numeric[], %s::int[]) AS o(id, v, k), generate_series(1, o.k)
        """,
        [product.id, company.id, company.currency_id.id, order_ids, value.tolist(), lines.tolist()],
    )
    line_count = env.cr.rowcount
    rng = np.random.default_rng(11)
    answered = rng.choice(customers, customers.size // 10, replace=False)
    env.cr.execute(
        """
        INSERT INTO pr_feedback (partner_id, contact_id, company_id, date, metric, score, category, net_score,
                                 source_model, source_id, create_uid, create_date, write_uid, write_date)
        SELECT f.p, f.p, %s, now() - (f.n %% 700) * interval '1 day', 'nps', f.s,
               CASE WHEN f.s >= 9 THEN 'promoter' WHEN f.s >= 7 THEN 'passive' ELSE 'detractor' END,
               CASE WHEN f.s >= 9 THEN 100 WHEN f.s >= 7 THEN 0 ELSE -100 END,
               'bench', f.n, 1, now(), 1, now()
          FROM unnest(%s::int[], %s::int[]) WITH ORDINALITY AS f(p, s, n)
        """,
        [company.id, answered.tolist(), rng.integers(0, 11, answered.size).tolist()],
    )
    env.cr.commit()
    return len(order_ids), line_count


def timed(label, function, *args):
    start = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {elapsed:8.3f} s")
    return elapsed, result


def run(database, customers, lines, batch_size):
    registry = Registry(database)
    # The addon is importable once the registry has set the addons path up.
    from odoo.addons.positive_reinforcement.pr_lib.clv import summary_from_transactions  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        elapsed, (orders, line_count) = timed("seed", seed, env, customers, lines)
        print(f"seeded {customers:,} customers, {orders:,} orders, {line_count:,} order lines")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        raw, _rows = timed("raw SQL: order history per customer and day", _raw_history, cr, company)
        scoring, summary = timed(
            "score customers (RFM, BG/NBD, Gamma-Gamma) and write", env["pr.member"]._pr_refresh_scores, company
        )
        cr.commit()
        print(f"  {summary['customers']:,} customers scored; {summary.get('note', '')}")
        print(f"  ratio against reading the history alone: {scoring / raw:.1f}x (limit: 60 s in all)")
        history = env["pr.member"]._pr_read_history(company, fields.Date.context_today(env["pr.member"]))
        holders, days, amounts = history[0], history[1], history[2]
        sample = np.isin(holders, np.unique(holders)[:10000])
        ids, x, t_x, T, m = summary_from_transactions(holders[sample], days[sample], amounts[sample], days.max())
        fit, _params = timed("fit BG/NBD and Gamma-Gamma on 10,000 customers", _fit, x, t_x, T, m)
        print(f"  limit: 5 s; {ids.size:,} customers, {int((x > 0).sum()):,} repeat buyers")
        refresh, count = timed(
            "refresh the metrics (3 years, month/quarter/year)", env["pr.metric"]._pr_refresh, company
        )
        cr.commit()
        print(f"  {count} metric rows")
        print(f"scoring and metrics together: {scoring + refresh:.1f} s for {customers:,} customers (limit 60 s)")
        _views(env)


def _raw_history(cr, company):
    cr.execute(
        """
        SELECT p.commercial_partner_id, so.date_order::date, SUM(so.amount_untaxed)
          FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND so.company_id = %s
         GROUP BY 1, 2
        """,
        [company.id],
    )
    return cr.fetchall()


def _fit(x, t_x, T, m):
    from odoo.addons.positive_reinforcement.pr_lib.clv import fit_bgnbd, fit_gamma_gamma  # noqa: PLC0415

    return fit_bgnbd(x, t_x, T), fit_gamma_gamma(x, m)


def _views(env):
    """Each metrics screen as the web client opens it, against raw SQL reading the same rows."""
    Metric = env["pr.metric"]
    default = [("period", "=", "month"), ("dimension", "=", "all")]
    list_fields = [
        "date",
        "tier_id",
        "rfm_segment",
        "customers_end",
        "retention_display",
        "repeat_display",
        "referral_display",
        "nps_display",
        "csat_display",
        "clv_display",
        "clv_predicted",
    ]
    screens = {
        "kanban/list: months, all customers": lambda: Metric.web_search_read(
            default, {name: {} for name in list_fields}, limit=80
        ),
        "pivot: by RFM segment, per month": lambda: Metric.formatted_read_group(
            [("period", "=", "month"), ("dimension", "=", "segment")],
            ["date:month", "rfm_segment"],
            ["retention_rate:avg", "repeat_rate:avg", "nps:avg", "csat:avg", "clv_historical:avg"],
        ),
        "graph: all customers, per quarter": lambda: Metric.formatted_read_group(
            [("period", "=", "quarter"), ("dimension", "=", "all")], ["date:quarter"], ["retention_rate:avg"]
        ),
    }
    env.cr.execute("SELECT * FROM pr_metric WHERE period = 'month' AND dimension = 'all' ORDER BY date DESC LIMIT 80")
    worst = 0.0
    for label, screen in screens.items():
        env.invalidate_all()
        start = time.perf_counter()
        env.cr.execute("SELECT * FROM pr_metric WHERE period = 'month' ORDER BY date DESC")
        env.cr.fetchall()
        raw = time.perf_counter() - start
        env.invalidate_all()
        elapsed, _result = timed(f"open {label}", screen)
        worst = max(worst, elapsed)
        print(f"  raw SQL {raw * 1000:.1f} ms; ratio {elapsed / max(raw, 1e-6):.1f}x (limit: 1 s)")
    print(f"slowest metrics screen: {worst * 1000:.0f} ms")


if __name__ == "__main__":
    bench_main(__doc__.splitlines()[0], run, "lines", 1000000, customers_default=100000)
