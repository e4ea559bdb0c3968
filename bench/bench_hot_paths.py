"""Benchmark: what the addon adds to other apps' hot paths, per document, against the same Odoo without it.

Run by ``make bench`` on a throwaway database with the addon installed (``PR_BENCH_DB``, ``PR_ODOO_CONF``).
In the same run the script installs the addon's dependencies alone (``depends`` of the manifest) in a
throwaway database of its own, the floor, and copies it; the copy gets Odoo's own loyalty program
(1 point per currency unit of sales orders), the addon's database a reward rule of 1 point per
currency unit of purchases. Each path is timed document by document, each document in its own
committed transaction, the three setups taking turns at every document, so that the load of the
machine falls on all of them alike:

confirm a sales order; post its invoice; register its payment; post a credit note for it; move a
lead to another stage; assign leads (a batch per transaction); convert leads (a batch per
transaction); submit a survey; a customer rates a contact; subscribe a customer to a mailing list; create a
contact; write a contact.

It prints milliseconds (median) and queries (mean) per document, and the ratios against the floor.
The issue's promise: at most 10 % more time and at most 3 more queries per document than the floor.
"""

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from odoo import SUPERUSER_ID, api, sql_db
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tools import config

ADDON_DIR = Path(__file__).resolve().parent.parent
FLOOR, LOYALTY, ADDON = "floor", "loyalty", "addon"


def addon_depends():
    manifest = ast.literal_eval((ADDON_DIR / "__manifest__.py").read_text())
    return manifest["depends"]


# ------------------------------------------------------------------
# databases
# ------------------------------------------------------------------


def create_floor(name, conf):
    """Install the addon's dependencies, and nothing else, in a new database (as ``make bench`` does the addon)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "odoo", "-c", conf, "-d", name, "-i", ",".join(addon_depends()), "--stop-after-init"]
        + ["--log-level=warn"],
        check=True,
    )
    print(f"floor database {name}: dependencies installed in {time.perf_counter() - start:.0f} s")


def postgres_admin(statement):
    with sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(statement)


def clone(source, name):
    postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    filestore = Path(config.filestore(source))
    if filestore.is_dir():
        shutil.copytree(filestore, config.filestore(name))


def drop(name):
    Registry.delete(name)
    sql_db.close_db(name)
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')
    shutil.rmtree(config.filestore(name), ignore_errors=True)


# ------------------------------------------------------------------
# setups
# ------------------------------------------------------------------


class Setup:
    """One database and its registry, with the records every path uses."""

    def __init__(self, name, database):
        self.name = name
        self.database = database
        self.registry = Registry(database)
        self.counter = 0
        with self.cursor() as env:
            self.uid = env.ref("base.user_admin").id
            self.seed(env)

    def cursor(self, uid=SUPERUSER_ID):
        return _EnvCursor(self.registry, uid)

    def next(self):
        self.counter += 1
        return self.counter

    def seed(self, env):
        company = env.company
        self.product_ids = (
            env["product.product"]
            .create(
                [
                    {"name": "Bench chair", "type": "consu", "list_price": 120.0, "invoice_policy": "order"},
                    {"name": "Bench table", "type": "consu", "list_price": 380.0, "invoice_policy": "order"},
                ]
            )
            .ids
        )
        self.customer_ids = (
            env["res.partner"]
            .create([{"name": f"Bench customer {i}", "email": f"customer{i}@bench.example.com"} for i in range(20)])
            .ids
        )
        Stage = env["crm.stage"]
        self.stage_ids = Stage.search([("is_won", "=", False)], order="sequence", limit=2).ids
        seller = env.ref("sales_team.group_sale_salesman_all_leads")
        users = env["res.users"].create(
            [
                {
                    "name": f"Bench seller {i}",
                    "login": f"bench_seller_{i}_{time.time_ns()}",
                    "group_ids": [Command.link(seller.id)],
                }
                for i in range(2)
            ]
        )
        self.team_id = (
            env["crm.team"]
            .create(
                {
                    "name": "Bench team",
                    "use_leads": True,
                    "use_opportunities": True,
                    "assignment_max": 6000,
                    "crm_team_member_ids": [
                        Command.create({"user_id": user.id, "assignment_max": 3000}) for user in users
                    ],
                }
            )
            .id
        )
        self.survey_id = (
            env["survey.survey"]
            .create(
                {
                    "title": "Bench survey",
                    "access_mode": "public",
                    "question_and_page_ids": [
                        Command.create(
                            {"title": "How likely are you to recommend us?", "question_type": "scale"}
                            | {"scale_min": 0, "scale_max": 10}
                        ),
                        Command.create({"title": "Anything to add?", "question_type": "text_box"}),
                    ],
                }
            )
            .id
        )
        self.list_id = env["mailing.list"].create({"name": "Bench newsletter"}).id
        self.partner_model_id = env["ir.model"]._get_id("res.partner")
        if self.name == LOYALTY:
            env["loyalty.program"].search([]).write({"active": False})
            env["loyalty.program"].create(
                {
                    "name": "Bench loyalty",
                    "program_type": "loyalty",
                    "trigger": "auto",
                    "applies_on": "both",
                    "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 1})],
                    "reward_ids": [
                        Command.create(
                            {
                                "reward_type": "discount",
                                "discount": 5,
                                "discount_mode": "percent",
                                "discount_applicability": "order",
                                "required_points": 100000,
                            }
                        )
                    ],
                }
            )
        if self.name == ADDON:
            company.write({"pr_release_on": "payment", "pr_points_per_currency": 1.0})
            env["pr.reward.rule"].search([]).action_archive()
            env["pr.reward.rule"].create(
                {
                    "name": "Bench spend",
                    "behavior_id": env.ref("positive_reinforcement.pr_behavior_purchase").id,
                    "points_mode": "per_currency",
                    "rate": 1.0,
                    "release": "policy",
                }
            )


class _EnvCursor:
    """``with setup.cursor() as env``: a new committed transaction, its query count read after the commit."""

    def __init__(self, registry, uid):
        self.registry, self.uid = registry, uid

    def __enter__(self):
        self.cr = self.registry.cursor()
        return api.Environment(self.cr, self.uid, {})

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.cr.commit()
            self.queries = self.cr.sql_log_count
        finally:
            self.cr.close()


# ------------------------------------------------------------------
# paths: ``prepare`` (untimed, committed) gives the transactions to time, ``run`` handles one of them
# ------------------------------------------------------------------


def customer(setup):
    return setup.customer_ids[setup.next() % len(setup.customer_ids)]


def prepare_orders(setup, env, count):
    orders = env["sale.order"].create(
        [
            {
                "partner_id": customer(setup),
                "order_line": [
                    Command.create({"product_id": product_id, "product_uom_qty": 1 + setup.next() % 3})
                    for product_id in setup.product_ids
                ],
            }
            for _ in range(count)
        ]
    )
    return [[order_id] for order_id in orders.ids]


def run_confirm(setup, env, ids):
    env["sale.order"].browse(ids).action_confirm()


def prepare_invoices(setup, env, count):
    if "pr.event" in env:
        # The cron's work between the order and its invoice: the points wait for the payment.
        env["pr.event"]._process_pending()
    orders = env["sale.order"].search([("state", "=", "sale"), ("invoice_ids", "=", False)], limit=count, order="id")
    invoices = orders._create_invoices(grouped=True)
    return [[invoice_id] for invoice_id in invoices.ids]


def run_post(setup, env, ids):
    env["account.move"].browse(ids).action_post()


def prepare_payments(setup, env, count):
    moves = env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("payment_state", "=", "not_paid")],
        limit=count,
        order="id",
    )
    return [[move_id] for move_id in moves.ids]


def run_pay(setup, env, ids):
    wizard = env["account.payment.register"].with_context(active_model="account.move", active_ids=ids).create({})
    wizard._create_payments()


def prepare_refunds(setup, env, count):
    moves = env["account.move"].search(
        [
            ("move_type", "=", "out_invoice"),
            ("payment_state", "in", ("paid", "in_payment")),
            ("reversal_move_ids", "=", False),
        ],
        limit=count,
        order="id",
    )
    refunds = moves._reverse_moves([{"ref": f"Return of {move.name}"} for move in moves])
    return [[refund_id] for refund_id in refunds.ids]


def prepare_opportunities(setup, env, count):
    leads = env["crm.lead"].create(
        [
            {
                "name": f"Bench opportunity {setup.next()}",
                "type": "opportunity",
                "partner_id": customer(setup),
                "stage_id": setup.stage_ids[0],
                "expected_revenue": 1000,
            }
            for _ in range(count)
        ]
    )
    return [[lead_id] for lead_id in leads.ids]


def run_lead_write(setup, env, ids):
    env["crm.lead"].browse(ids).write({"stage_id": setup.stage_ids[1], "priority": "2"})


def new_leads(setup, env, count, **values):
    numbers = [setup.next() for _ in range(count)]
    return env["crm.lead"].create(
        [
            {
                "name": f"Bench lead {n}",
                "type": "lead",
                "contact_name": f"Lead contact {n}",
                "email_from": f"lead{n}@{setup.name}.bench.example.com",
                "user_id": False,
                "team_id": False,
                "probability": 10 + n % 50,
                **values,
            }
            for n in numbers
        ]
    )


def prepare_assign(setup, env, count):
    # One transaction per round: the assignment takes every unassigned lead of the database.
    return [new_leads(setup, env, BATCH).ids]


def run_assign(setup, env, ids):
    env["crm.team"].browse(setup.team_id)._action_assign_leads(force_quota=True, creation_delta_days=0)


def prepare_convert(setup, env, count):
    return [new_leads(setup, env, BATCH, team_id=setup.team_id).ids for _ in range(count)]


def run_convert(setup, env, ids):
    wizard = (
        env["crm.lead2opportunity.partner.mass"]
        .with_context(active_model="crm.lead", active_ids=ids)
        .create({"deduplicate": False, "user_ids": [env.uid], "force_assignment": True})
    )
    wizard.action_mass_convert()


def prepare_answers(setup, env, count):
    survey = env["survey.survey"].browse(setup.survey_id)
    partners = env["res.partner"].browse([customer(setup) for _ in range(count)])
    return [[survey._create_answer(partner=partner, check_attempts=False).id] for partner in partners]


def run_submit(setup, env, ids):
    answer = env["survey.user_input"].browse(ids)
    scale, text = answer.survey_id.question_ids.sorted("sequence")
    answer._save_lines(scale, 9)
    answer._save_lines(text, "Quick delivery, friendly staff.")
    answer._mark_done()


def prepare_nothing(setup, env, count):
    return [None] * count


def run_rating(setup, env, item):
    # As the customer's routes do (the rating link, the portal): sudo on behalf of a visitor.
    partner_id = customer(setup)
    env(user=env.ref("base.public_user").id, su=True)["rating.rating"].create(
        {
            "res_model_id": setup.partner_model_id,
            "res_id": partner_id,
            "partner_id": partner_id,
            "rating": 5,
            "feedback": "Very helpful",
            "consumed": True,
        }
    )


def prepare_readers(setup, env, count):
    numbers = [setup.next() for _ in range(count)]
    partners = env["res.partner"].create(
        [{"name": f"Reader {n}", "email": f"reader{n}@bench.example.com"} for n in numbers]
    )
    return [(partner.name, partner.email) for partner in partners]


def run_subscribe(setup, env, item):
    name, email = item
    env["mailing.contact"].create({"name": name, "email": email, "list_ids": [Command.link(setup.list_id)]})


def run_contact_create(setup, env, item):
    n = setup.next()
    env["res.partner"].create(
        {"name": f"New contact {n}", "email": f"contact{n}@bench.example.com", "phone": f"+62 811 {n:06d}"}
    )


def prepare_contacts(setup, env, count):
    partners = env["res.partner"].create([{"name": f"Contact {setup.next()}"} for _ in range(count)])
    return [[partner_id] for partner_id in partners.ids]


def run_contact_write(setup, env, ids):
    env["res.partner"].browse(ids).write({"phone": "+62 811 000 111", "street": "Jalan Merdeka 1", "city": "Bandung"})


BATCH = 10
ALL, NO_LOYALTY = (FLOOR, LOYALTY, ADDON), (FLOOR, ADDON)
# (label, prepare, run, documents per transaction, setups); the first four follow one another's documents.
PATHS = [
    ("confirm a sales order", prepare_orders, run_confirm, 1, ALL),
    ("post its invoice", prepare_invoices, run_post, 1, NO_LOYALTY),
    ("register its payment", prepare_payments, run_pay, 1, NO_LOYALTY),
    ("post a credit note", prepare_refunds, run_post, 1, NO_LOYALTY),
    ("move a lead to another stage", prepare_opportunities, run_lead_write, 1, NO_LOYALTY),
    (f"assign leads ({BATCH} a transaction)", prepare_assign, run_assign, BATCH, NO_LOYALTY),
    (f"convert leads ({BATCH} a transaction)", prepare_convert, run_convert, BATCH, NO_LOYALTY),
    ("submit a survey", prepare_answers, run_submit, 1, NO_LOYALTY),
    ("a customer rates (positive, with a comment)", prepare_nothing, run_rating, 1, NO_LOYALTY),
    ("subscribe a customer to a mailing list", prepare_readers, run_subscribe, 1, NO_LOYALTY),
    ("create a contact", prepare_nothing, run_contact_create, 1, NO_LOYALTY),
    ("write a contact", prepare_contacts, run_contact_write, 1, NO_LOYALTY),
]


def measure(setups, path, documents, round_size):
    """``{setup: ([ms per document], [queries per document])}``.

    Each round prepares a few documents in every setup, then runs them one transaction at a time,
    the setups taking turns at each one, so that the load of the machine falls on all of them alike.
    The first round warms the caches and is not counted.
    """
    _label, prepare, run, per_transaction, names = path
    results = {name: ([], []) for name in names}
    order = [setups[name] for name in names]
    per_round = max(1, round_size // per_transaction)
    rounds = 1 + max(1, documents // (per_round * per_transaction))
    for index in range(rounds):
        prepared = {}
        for setup in order:
            with setup.cursor() as env:
                prepared[setup] = prepare(setup, env, per_round)
        for position in range(per_round):
            for setup in order:
                if position >= len(prepared[setup]):
                    continue
                timer = setup.cursor(setup.uid)
                start = time.perf_counter()
                with timer as env:
                    run(setup, env, prepared[setup][position])
                elapsed = (time.perf_counter() - start) * 1000
                if index:
                    results[setup.name][0].append(elapsed / per_transaction)
                    results[setup.name][1].append(timer.queries / per_transaction)
            order = order[1:] + order[:1]
    return results


def report(rows):
    header = (
        f"{'path (per document)':44} {'floor ms':>9} {'loyalty ms':>10} {'addon ms':>9} {'ratio':>6}"
        f" {'floor q':>8} {'loyalty q':>9} {'addon q':>8} {'+q':>6}"
    )
    print(header)
    print("-" * len(header))
    for label, results in rows:
        ms = {name: statistics.median(values[0]) for name, values in results.items()}
        queries = {name: statistics.mean(values[1]) for name, values in results.items()}
        loyalty_ms = f"{ms[LOYALTY]:10.1f}" if LOYALTY in ms else f"{'-':>10}"
        loyalty_q = f"{queries[LOYALTY]:9.1f}" if LOYALTY in queries else f"{'-':>9}"
        print(
            f"{label:44} {ms[FLOOR]:9.1f} {loyalty_ms} {ms[ADDON]:9.1f} {ms[ADDON] / ms[FLOOR]:6.2f}"
            f" {queries[FLOOR]:8.1f} {loyalty_q} {queries[ADDON]:8.1f} {queries[ADDON] - queries[FLOOR]:+6.1f}"
        )


def run_bench(database, floor_db, documents, round_size, only):
    conf = os.environ["PR_ODOO_CONF"]
    own_floor = not floor_db
    floor_db = floor_db or f"{database}_floor"
    loyalty_db = f"{floor_db}_loyalty"
    if own_floor:
        create_floor(floor_db, conf)
    # Working copies: the floor database given stays as it is, for the next run.
    floor_run = f"{floor_db}_run"
    for copy in (floor_run, loyalty_db):
        drop(copy)
        clone(floor_db, copy)
    try:
        start = time.perf_counter()
        setups = {FLOOR: Setup(FLOOR, floor_run), LOYALTY: Setup(LOYALTY, loyalty_db), ADDON: Setup(ADDON, database)}
        rows = []
        for path in PATHS:
            if only and not any(word in path[0] for word in only):
                continue
            path_start = time.perf_counter()
            results = measure(setups, path, documents, round_size)
            rows.append((path[0], results))
            figures = ", ".join(
                f"{name} {statistics.median(ms):.1f} ms {statistics.mean(queries):.1f} q"
                for name, (ms, queries) in results.items()
            )
            print(f"  {path[0]}: {figures} ({time.perf_counter() - path_start:.0f} s)", flush=True)
        print(
            f"\n{documents} documents per path and setup, each in its own committed transaction, in rounds of "
            f"{round_size}; measured in {time.perf_counter() - start:.0f} s. ms: median; queries: mean."
        )
        print("ratio: addon / floor time (promise: at most 1.10); +q: addon - floor queries (promise: at most 3)\n")
        report(rows)
    finally:
        Registry.delete_all()
        drop(loyalty_db)
        drop(floor_run)
        if own_floor:
            drop(floor_db)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100, help="documents per path and setup")
    parser.add_argument("--round-size", type=int, default=10, help="documents of one setup before the next one's")
    parser.add_argument("--floor-db", help="an existing database with the dependencies only (kept)")
    parser.add_argument("--only", nargs="*", help="paths whose label contains one of these words")
    args = parser.parse_args()
    config.parse_config(["-c", os.environ["PR_ODOO_CONF"], "-d", os.environ["PR_BENCH_DB"], "--log-level=warn"])
    run_bench(os.environ["PR_BENCH_DB"], args.floor_db, args.documents, args.round_size, args.only)


if __name__ == "__main__":
    main()
