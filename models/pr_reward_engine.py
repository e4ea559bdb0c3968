"""The rule engine: matches behaviour events to reward rules and posts what they earn."""

import math
from collections import defaultdict
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL

from .idempotency import bulk_insert
from .pr_event_outside import FUTURE_TOLERANCE
from .pr_event_tasks import schedule_tasks
from .pr_i18n import Joined, _lt, field_translations, installed_langs, translations_json
from .pr_timezone import pr_local_date
from .res_company import pr_holder_by_row_sql


class EventBatch:
    """Matches a batch of events to reward rules and posts the outcomes, in a constant number of queries.

    The hot loop works on plain rows (one query for the events, one read of the rules) rather than
    on records, so that a batch of a thousand events costs milliseconds of Python, not seconds.
    """

    def __init__(self, events):
        self.env = events.env
        self.ids = events.ids
        self.now = fields.Datetime.now()

    def run(self):
        events = self._read_events()
        valid = self._check_events(events)
        rules = self._read_rules(valid)
        self._read_usage(rules, valid)
        self.paid_orders = self._read_paid_orders(valid)
        decisions, movements, outcomes = [], [], defaultdict(list)
        for event in sorted(valid, key=lambda e: (e["date"], e["id"])):
            for rule in rules.get(event["behavior_id"], ()):
                if rule["company_id"] in (event["company_id"], None):
                    decision = self._decide(event, rule)
                    decisions.append(decision)
                    outcomes[event["id"]].append(decision)
                    if decision["outcome"] == "granted":
                        decision["movement"] = len(movements)
                        movements.append(self._movement(event, rule, decision["points"]))
        entry_ids = self.env["pr.ledger.entry"].sudo()._post_movements(movements).ids
        self._queue_earlier_refunds(movements)
        for decision in decisions:
            if "movement" in decision:
                decision["entry_id"] = entry_ids[decision["movement"]]
        self._write_decisions(decisions)
        self._write_states(valid, outcomes)
        self._send_thanks(decisions)
        self._schedule_activities(decisions)

    # --- reading ---------------------------------------------------------------

    def _read_events(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id, e.partner_id, e.behavior_id, e.company_id, e.date, COALESCE(e.value, 0) AS value,
                       e.source_model, e.source_id, p.active AS partner_active,
                       %s AS holder_id, b.active AS behavior_active
                  FROM pr_event e
                  JOIN res_partner p ON p.id = e.partner_id
                  JOIN res_company c ON c.id = e.company_id
                  JOIN pr_behavior b ON b.id = e.behavior_id
                 WHERE e.id = ANY(%s)
                """,
                pr_holder_by_row_sql(),
                self.ids,
            )
        )
        return self.env.cr.dictfetchall()

    def _read_paid_orders(self, events):
        """The ids of the events' sales orders that a paid invoice already settled.

        An order may be paid before its events are processed (an online payment confirms, invoices and
        pays it at once): the ledger's cron found no points to release then, so they are available at once.
        """
        order_ids = list({e["source_id"] for e in events if e["source_model"] == "sale.order" and e["source_id"]})
        if not order_ids or all(company["release_on"] != "payment" for company in self.companies.values()):
            return set()
        self.env["account.move"].flush_model(["move_type", "state", "payment_state"])
        self.env["account.move.line"].flush_model(["move_id"])
        self.env["sale.order.line"].flush_model(["order_id", "invoice_lines"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT sol.order_id FROM sale_order_line sol
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move m ON m.id = aml.move_id
                 WHERE sol.order_id = ANY(%s) AND m.move_type = 'out_invoice' AND m.state = 'posted'
                   AND m.payment_state IN ('paid', 'in_payment')
                """,
                order_ids,
            )
        )
        return {row[0] for row in rows}

    def _queue_earlier_refunds(self, movements):
        """Credit notes already posted for the orders just rewarded are settled again, moments later.

        Their settlement found nothing to take back when it ran before the orders' events were
        processed; settling them again takes back what each rule says, never twice.
        """
        order_ids = list({m["source_id"] for m in movements if m["source_model"] == "sale.order"})
        if not order_ids:
            return
        refunds = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("move_type", "=", "out_refund"),
                    ("state", "=", "posted"),
                    "|",
                    ("invoice_line_ids.sale_line_ids.order_id", "in", order_ids),
                    ("reversed_entry_id.invoice_line_ids.sale_line_ids.order_id", "in", order_ids),
                ]
            )
        )
        self.env["pr.ledger.queue"]._pr_queue("claw_back", refunds)

    def _check_events(self, events):
        latest = self.now + FUTURE_TOLERANCE
        for event in events:
            if not event["partner_active"]:
                name = self.env["res.partner"].browse(event["partner_id"]).sudo().display_name
                raise UserError(self.env._("The customer %(customer)s is archived.", customer=name))
            if event["date"] > latest:
                raise UserError(self.env._("A behaviour cannot be dated in the future."))
        ignored = [event["id"] for event in events if not event["behavior_active"]]
        if ignored:
            self._set_state(ignored, "ignored", _lt("The behaviour is archived."))
        return [event for event in events if event["behavior_active"]]

    def _read_rules(self, events):
        """Active rules of the events' behaviours and companies, as plain dicts by behaviour."""
        records = (
            self.env["pr.reward.rule"]
            .sudo()
            .search(
                [
                    ("behavior_id", "in", list({e["behavior_id"] for e in events})),
                    ("company_id", "in", [*{e["company_id"] for e in events}, False]),
                ]
            )
        )
        self.rule_records = {rule.id: rule for rule in records}
        companies = self.env["res.company"].sudo().browse({e["company_id"] for e in events})
        self.companies = {
            company.id: {
                "per_currency": company.pr_points_per_currency,
                "release_on": company.pr_release_on,
                "pending_days": company.pr_pending_days,
                "tz": company._pr_tz(),
            }
            for company in companies
        }
        for event in events:  # the company's day: validity, limits, budgets, offers and release dates count in it
            event["day"] = pr_local_date(event["date"], self.companies[event["company_id"]]["tz"])
        by_behavior = defaultdict(list)
        names = field_translations(records, "name")
        for rule in records:
            experiment = rule.experiment_variant_id.experiment_id
            by_behavior[rule.behavior_id.id].append(
                {
                    "id": rule.id,
                    "name": rule.name,
                    "names": names[rule.id],  # the ledger reason, in every language
                    "company_id": rule.company_id.id or None,
                    "date_from": rule.date_from,
                    "date_to": rule.date_to,
                    "tier_ids": set(rule.tier_ids.ids),
                    "min_value": rule.min_value,
                    "once": rule.once_per_customer,
                    "max_per_period": rule.max_per_period,
                    "period": rule.period,
                    "budget": rule.monthly_budget,
                    "mode": rule.points_mode,
                    "points": rule.points,
                    "rate": rule.rate,
                    "multiplier": rule.apply_multiplier,
                    "release": rule.release,
                    "template": rule.mail_template_id,
                    "activity": rule.activity_type_id,
                    "domain": rule._get_partner_domain(),
                    "variant_id": rule.experiment_variant_id.id or None,
                    "experiment_id": experiment.id or None,
                    "experiment_name": experiment.name,
                    "experiment_running": experiment.state == "running",
                }
            )
        return by_behavior

    def _read_usage(self, rules, events):
        """Members' tiers, customers matching each rule's filter, and what each rule already granted."""
        holder_ids = list({e["holder_id"] for e in events})
        company_ids = list({e["company_id"] for e in events})
        members = (
            self.env["pr.member"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", holder_ids), ("company_id", "in", company_ids)],
                ["partner_id", "company_id", "tier_id"],
            )
        )
        self.tiers = {(m.partner_id.id, m.company_id.id): m.tier_id.id for m in members}
        self.multipliers = {tier.id: tier.multiplier for tier in members.tier_id}
        days = [e["day"] for e in events]
        self.offer_multipliers = (
            self.env["pr.offer"]._active_multipliers(holder_ids, company_ids, min(days), max(days)) if days else {}
        )
        partner_ids = list({e["partner_id"] for e in events})
        all_rules = [rule for behavior_rules in rules.values() for rule in behavior_rules]
        running = {rule["experiment_id"] for rule in all_rules if rule["experiment_running"]}
        self.variants = self.env["pr.experiment"].sudo().browse(running)._assignments_of(holder_ids) if running else {}
        for rule in all_rules:
            if rule["domain"]:
                try:
                    found = self.env["res.partner"].sudo().search([*rule["domain"], ("id", "in", partner_ids)])
                except Exception as error:  # noqa: BLE001 - any broken filter is the rule's error
                    raise UserError(
                        self.env._(
                            "The customer filter of rule %(rule)s fails: %(error)s", rule=rule["name"], error=error
                        )
                    ) from error
                rule["matching"] = set(found.ids)
        Decision = self.env["pr.event.decision"].sudo()
        rule_ids = [rule["id"] for rule in all_rules]
        once_ids = [rule["id"] for rule in all_rules if rule["once"]]
        self.once = defaultdict(int)
        if once_ids:
            for rule, partner, count in Decision._read_group(
                [("rule_id", "in", once_ids), ("outcome", "=", "granted"), ("partner_id", "in", holder_ids)],
                ["rule_id", "partner_id"],
                ["__count"],
            ):
                self.once[(rule.id, partner.id)] = count
        self.per_period = defaultdict(int)
        periods = {rule["id"]: rule["period"] for rule in all_rules if rule["max_per_period"]}
        if periods:
            for rule_id, holder_id, day, count in Decision._pr_granted(list(periods), holder_ids):
                self.per_period[(rule_id, holder_id, _period_start(periods[rule_id], day))] += count
        self.budget = defaultdict(int)
        budgeted = [rule["id"] for rule in all_rules if rule["budget"]]
        if budgeted:
            self._lock_budgets(budgeted)
            for rule_id, month, points in Decision._pr_granted(budgeted):
                self.budget[(rule_id, month)] += points
        self.rule_ids = rule_ids

    def _lock_budgets(self, rule_ids):
        """Make the workers that spend the same rules' monthly budgets take turns, before they read the usage.

        The rules are locked in id order (no deadlock), in one query. A lock alone is not enough: Odoo's
        transactions read a snapshot (repeatable read), so a worker that waited for the lock would still
        read the usage from before the other worker's grants. The rows are therefore also rewritten,
        unchanged: a worker whose snapshot predates the commit of another that held the lock fails to
        serialize, and its batch is claimed again with a fresh snapshot (see ``_process_pending``).
        """
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_reward_rule r SET monthly_budget = r.monthly_budget
                  FROM (SELECT id FROM pr_reward_rule WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE) AS l
                 WHERE r.id = l.id
                """,
                sorted(rule_ids),
            )
        )

    # --- deciding --------------------------------------------------------------

    def _decide(self, event, rule):
        holder_id = event["holder_id"]
        decision = {"event": event, "rule": rule, "points": 0, "note": ""}
        day = event["day"]
        tier_id = self.tiers.get((holder_id, event["company_id"]))
        if (rule["date_from"] and day < rule["date_from"]) or (rule["date_to"] and day > rule["date_to"]):
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": _lt("Outside the rule's validity dates."),
            }
        if rule["variant_id"] and self.variants.get((rule["experiment_id"], holder_id)) != rule["variant_id"]:
            return {**decision, "outcome": "skipped_condition", "note": self._experiment_note(rule, holder_id)}
        if "matching" in rule and event["partner_id"] not in rule["matching"]:
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": _lt("The customer does not match the rule's filter."),
            }
        if rule["tier_ids"] and tier_id not in rule["tier_ids"]:
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": _lt("The customer's tier is not eligible."),
            }
        if rule["min_value"] and event["value"] < rule["min_value"]:
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": _lt("The value is below the rule's minimum."),
            }
        points = self._points(event, rule, tier_id)
        if points <= 0:
            return {**decision, "outcome": "skipped_condition", "note": _lt("The value earns no points.")}
        if rule["once"] and self.once[(rule["id"], holder_id)]:
            return {**decision, "outcome": "skipped_limit", "note": _lt("Already rewarded once.")}
        period_key = (rule["id"], holder_id, _period_start(rule["period"], day))
        if rule["max_per_period"] and self.per_period[period_key] >= rule["max_per_period"]:
            return {**decision, "outcome": "skipped_limit", "note": _lt("The limit per period is reached.")}
        month = day.replace(day=1)
        if rule["budget"] and self.budget[(rule["id"], month)] + points > rule["budget"]:
            return {**decision, "outcome": "skipped_budget", "note": _lt("The rule's monthly budget is spent.")}
        self.once[(rule["id"], holder_id)] += 1
        self.per_period[period_key] += 1
        self.budget[(rule["id"], month)] += points
        return {**decision, "outcome": "granted", "points": points}

    def _experiment_note(self, rule, holder_id):
        if not rule["experiment_running"]:
            return _lt("The experiment %(experiment)s is not running.", experiment=rule["experiment_name"])
        if (rule["experiment_id"], holder_id) not in self.variants:
            return _lt("The customer is not in experiment %(experiment)s.", experiment=rule["experiment_name"])
        return _lt("The customer is in another group of experiment %(experiment)s.", experiment=rule["experiment_name"])

    def _points(self, event, rule, tier_id):
        if rule["mode"] == "fixed":
            points = rule["points"]
        else:
            points = event["value"] * (rule["rate"] or self.companies[event["company_id"]]["per_currency"])
        if rule["multiplier"]:
            points *= self.multipliers.get(tier_id, 1.0) if tier_id else 1.0
            day = event["day"]
            offers = self.offer_multipliers.get((event["holder_id"], event["company_id"]), ())
            points *= max((factor for start, end, factor in offers if start <= day <= end), default=1.0)
        return int(math.floor(points + 1e-9))

    def _movement(self, event, rule, points):
        movement = {
            "partner_id": event["partner_id"],
            "company_id": event["company_id"],
            "kind": "earn",
            "points": points,
            "date": event["date"],
            "reason": rule["names"],
            "source_model": event["source_model"] or "pr.event",
            "source_id": event["source_id"] or event["id"],
            "idempotency_key": f"pr.event:{event['id']}:rule:{rule['id']}",
        }
        if rule["release"] == "policy":
            company = self.companies[event["company_id"]]
            if company["release_on"] == "payment":
                # Available at once when a paid invoice already settled the order, as its payment would have.
                if event["source_model"] == "sale.order" and event["source_id"] in self.paid_orders:
                    movement["release_date"] = event["day"]
                else:
                    movement["pending"] = True
            else:
                movement["release_date"] = event["day"] + timedelta(days=company["pending_days"])
        return movement

    # --- writing ---------------------------------------------------------------

    def _write_decisions(self, decisions):
        if not decisions:
            return
        bulk_insert(
            self.env,
            "pr_event_decision",
            {
                "event_id": ("int", [d["event"]["id"] for d in decisions]),
                "rule_id": ("int", [d["rule"]["id"] for d in decisions]),
                "partner_id": ("int", [d["event"]["holder_id"] for d in decisions]),
                "company_id": ("int", [d["event"]["company_id"] for d in decisions]),
                "date": ("timestamp", [d["event"]["date"] for d in decisions]),
                "outcome": ("varchar", [d["outcome"] for d in decisions]),
                "points": ("int", [d["points"] for d in decisions]),
                "entry_id": ("int", [d.get("entry_id") for d in decisions]),
                "note": ("jsonb", translations_json([d["note"] for d in decisions], installed_langs(self.env))),
            },
            self.now,
        )
        self.env["pr.event.decision"].invalidate_model()

    def _write_states(self, events, outcomes):
        messages = {}
        for event in events:
            decisions = outcomes.get(event["id"], [])
            granted = sum(d["points"] for d in decisions if d["outcome"] == "granted")
            if not decisions:
                messages[event["id"]] = ("ignored", _lt("No active reward rule for this behaviour."))
            elif granted:
                messages[event["id"]] = ("processed", _lt("%(points)s points granted.", points=granted))
            else:
                reasons = Joined(d["note"] for d in decisions)
                messages[event["id"]] = ("processed", _lt("No reward: %(reasons)s", reasons=reasons))
        if not messages:
            return
        ids = list(messages)
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_event e SET state = d.state, message = d.message, processed_date = %s,
                       write_uid = %s, write_date = %s
                  FROM unnest(%s::int[], %s::varchar[], %s::jsonb[]) AS d(id, state, message)
                 WHERE e.id = d.id
                """,
                self.now,
                self.env.uid,
                self.now,
                ids,
                [messages[i][0] for i in ids],
                translations_json([messages[i][1] for i in ids], installed_langs(self.env)),
            )
        )
        self.env["pr.event"].invalidate_model(["state", "message", "processed_date"])

    def _set_state(self, event_ids, state, message):
        self.env.cr.execute(
            SQL(
                "UPDATE pr_event SET state = %s, message = %s::jsonb, processed_date = %s WHERE id = ANY(%s)",
                state,
                translations_json([message], installed_langs(self.env))[0],
                self.now,
                event_ids,
            )
        )
        self.env["pr.event"].invalidate_model(["state", "message", "processed_date"])

    def _send_thanks(self, decisions):
        """Thank-you emails, in each customer's language; a template that fails to render fails its events."""
        by_template = defaultdict(set)
        for decision in decisions:
            if decision["outcome"] == "granted" and decision["rule"]["template"]:
                by_template[decision["rule"]["template"]].add(decision["event"]["id"])
        for template, event_ids in by_template.items():
            template.send_mail_batch(sorted(event_ids), raise_exception=True)

    def _schedule_activities(self, decisions):
        """The rules' activities, thank-you notes and gift proposals, for whoever looks after each customer."""
        schedule_tasks(self.env, self.rule_records, decisions)


def _period_start(period, day):
    """First day of the week, month or year that contains ``day``."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "year":
        return day.replace(month=1, day=1)
    return day.replace(day=1)
