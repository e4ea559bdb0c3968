import logging
import math
import random
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import psycopg2
import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .idempotency import known_keys
from .res_company import pr_holder_by_row_sql

_logger = logging.getLogger(__name__)

STATES = [("pending", "Pending"), ("processed", "Processed"), ("ignored", "Ignored"), ("error", "Error")]
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_COLLISIONS = 10


class PrEvent(models.Model):
    """One customer behaviour that happened: the log that reward rules turn into outcomes."""

    _name = "pr.event"
    _inherit = ["pr.source.mixin"]
    _description = "Behaviour Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="restrict")
    partner_email = fields.Char(help="For imports: the customer's email, used when no customer is given.")
    behavior_id = fields.Many2one("pr.behavior", string="Behaviour", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(required=True, default=fields.Datetime.now, help="When the behaviour happened.")
    value = fields.Monetary(help="What the behaviour was worth, in the company currency.")
    idempotency_key = fields.Char(
        readonly=True, copy=False, help="The same key counts once: the same document and behaviour, or an external id."
    )
    state = fields.Selection(STATES, default="pending", required=True, readonly=True, index=True)
    message = fields.Text(readonly=True, help="Why the event was ignored, or the error met when processing it.")
    processed_date = fields.Datetime(readonly=True)
    decision_ids = fields.One2many("pr.event.decision", "event_id", string="Decisions", readonly=True)
    points = fields.Integer(string="Points Granted", compute="_compute_points")

    _idempotency_key_uniq = models.UniqueIndex(
        "(company_id, idempotency_key)", "This behaviour was already recorded (same document or external id)."
    )
    _pending_idx = models.Index("(date, id) WHERE state = 'pending'")

    def _compute_points(self):
        granted = dict(
            self.env["pr.event.decision"]._read_group(
                [("event_id", "in", self.ids), ("outcome", "=", "granted")], ["event_id"], ["points:sum"]
            )
        )
        for event in self:
            event.points = granted.get(event, 0)

    @api.depends("behavior_id", "partner_id")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.behavior_id.name or ''} - {event.partner_id.display_name or ''}"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._prepare_create_vals(vals_list)
        events = super().create(vals_list)
        events._check_not_in_future()
        self.env.ref("positive_reinforcement.ir_cron_process_events")._trigger()
        return events

    def _prepare_create_vals(self, vals_list):
        """Resolve the customer from an email (imports) and give every event an idempotency key."""
        emails = {
            vals["partner_email"].strip().lower()
            for vals in vals_list
            if not vals.get("partner_id") and vals.get("partner_email")
        }
        by_email = {}
        if emails:
            partners = self.env["res.partner"].search([("email_normalized", "in", list(emails))], order="id")
            for partner in partners:
                by_email.setdefault(partner.email_normalized, partner.id)
        for vals in vals_list:
            if not vals.get("partner_id") and vals.get("partner_email"):
                partner_id = by_email.get(vals["partner_email"].strip().lower())
                if not partner_id:
                    raise ValidationError(
                        self.env._("No customer has the email %(email)s.", email=vals["partner_email"])
                    )
                vals["partner_id"] = partner_id
            if not vals.get("idempotency_key"):
                vals["idempotency_key"] = f"manual:{uuid.uuid4().hex}"

    def _check_not_in_future(self):
        latest = fields.Datetime.now() + FUTURE_TOLERANCE
        if any(event.date > latest for event in self):
            raise ValidationError(self.env._("A behaviour cannot be dated in the future."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_process(self):
        """Process these events now (pending or in error)."""
        todo = self.filtered(lambda event: event.state in ("pending", "error"))
        todo.write({"state": "pending", "message": False})
        todo._pr_process()
        return True

    def action_ignore(self):
        self.filtered(lambda event: event.state in ("pending", "error")).write(
            {"state": "ignored", "message": self.env._("Ignored by %(user)s.", user=self.env.user.name)}
        )
        return True

    # ------------------------------------------------------------
    # RECORDING
    # ------------------------------------------------------------

    @api.model
    def _record(self, vals_list):
        """Record events detected in documents, skipping those whose idempotency key is already known.

        The callers (automated rules, referrals, replays) give complete, checked values; the events are
        inserted with one statement, and the processing cron is woken once. Returns all of them, in order.
        """
        vals_list = [vals for vals in vals_list if vals.get("partner_id")]
        if not vals_list:
            return self.browse()
        now = fields.Datetime.now()
        for vals in vals_list:
            vals.setdefault("company_id", self.env.company.id)
            vals["date"] = fields.Datetime.to_datetime(vals.get("date")) or now
        if any(vals["date"] > now + FUTURE_TOLERANCE for vals in vals_list):
            raise ValidationError(self.env._("A behaviour cannot be dated in the future."))
        self.env.flush_all()
        known = self._known_keys({(vals["company_id"], vals["idempotency_key"]) for vals in vals_list})
        new, seen = [], set()
        for vals in vals_list:
            key = (vals["company_id"], vals["idempotency_key"])
            if key not in known and key not in seen:
                seen.add(key)
                new.append(vals)
        if new:
            columns = {
                "partner_id": "int",
                "behavior_id": "int",
                "company_id": "int",
                "date": "timestamp",
                "value": "numeric",
                "source_model": "varchar",
                "source_id": "int",
                "idempotency_key": "varchar",
            }
            self.env.cr.execute(
                SQL(
                    """
                INSERT INTO pr_event (%s, state, create_uid, create_date, write_uid, write_date)
                SELECT *, 'pending', %s, %s, %s, %s FROM unnest(%s)
                ON CONFLICT (company_id, idempotency_key) DO NOTHING
                RETURNING company_id, idempotency_key, id
                """,
                    SQL(", ").join(SQL.identifier(column) for column in columns),
                    self.env.uid,
                    now,
                    self.env.uid,
                    now,
                    SQL(", ").join(
                        SQL("%s::%s[]", [vals.get(column) or None for vals in new], SQL(sql_type))
                        for column, sql_type in columns.items()
                    ),
                )
            )
            known.update({(row[0], row[1]): row[2] for row in self.env.cr.fetchall()})
            # A key recorded by another transaction since ours started: find it too.
            known.update(self._known_keys(seen - set(known)))
            self.env.ref("positive_reinforcement.ir_cron_process_events")._trigger()
        return self.browse([known[(vals["company_id"], vals["idempotency_key"])] for vals in vals_list])

    @api.model
    def _known_keys(self, keys):
        """``{(company id, key): event id}`` for the keys already recorded."""
        return known_keys(self.env.cr, self._table, keys)

    @api.model
    def record_events(self, events):
        """Record a batch of behaviours from an external system (a shop, a social media tool).

        Call it through Odoo's external JSON API with an API key::

            POST /json/2/pr.event/record_events
            Authorization: bearer <API key>
            {"events": [{"partner_email": "ana@example.com", "behavior": "social_media",
                         "date": "2026-11-02 10:30:00", "value": 0, "external_id": "post-981"}]}

        Each event names its customer by ``partner_id``, ``partner_email`` or ``partner_ref`` (the
        contact's reference), a behaviour ``code``, an optional ``date`` (UTC, not in the future),
        ``value`` (company currency) and an ``external_id``, its idempotency key. The events are
        checked one by one: the good ones are recorded together, the others are reported.

        :return: one dict per event, in order: ``{"external_id", "status", "event_id", "message"}``
            where ``status`` is ``created``, ``duplicate`` or ``error``
        """
        self.check_access("create")
        if not isinstance(events, list):
            raise UserError(self.env._("Send a list of events."))
        results, to_create = [], []
        resolver = _EventInput(self, events)
        for index, event in enumerate(events):
            vals, error = resolver.parse(event)
            if error:
                results.append(
                    {"external_id": resolver.external_id(event), "status": "error", "event_id": False, "message": error}
                )
            else:
                results.append(
                    {"external_id": vals["idempotency_key"], "status": "created", "event_id": False, "message": ""}
                )
                to_create.append((index, vals))
        duplicates = resolver.existing_keys([vals["idempotency_key"] for _index, vals in to_create])
        fresh, seen, repeated = [], set(), []
        for index, vals in to_create:
            key = vals["idempotency_key"]
            if key in seen and key not in duplicates:
                repeated.append((index, key))
            if key in duplicates or key in seen:
                results[index].update(
                    status="duplicate",
                    event_id=duplicates.get(key, False),
                    message=self.env._("This external id was already recorded."),
                )
            else:
                seen.add(key)
                fresh.append((index, vals))
        created = self.sudo().create([vals for _index, vals in fresh]) if fresh else self.browse()
        created_ids = {}
        for (index, vals), event in zip(fresh, created, strict=True):
            results[index]["event_id"] = created_ids[vals["idempotency_key"]] = event.id
        for index, key in repeated:
            results[index]["event_id"] = created_ids[key]
        return results

    # ------------------------------------------------------------
    # PROCESSING
    # ------------------------------------------------------------

    @api.model
    def _claim(self, limit, ids=None):
        """Lock up to ``limit`` pending events (among ``ids``) that no other worker holds, oldest first."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM pr_event WHERE state = 'pending' %s ORDER BY date, id LIMIT %s FOR UPDATE SKIP LOCKED",
                SQL("AND id = ANY(%s)", ids) if ids is not None else SQL(),
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _process_pending(self, batch_size=500, max_batches=None):
        """Claim and process pending events batch after batch, each committed; returns how many were processed.

        A batch that collides with another worker on the same customers (a serialization failure)
        is rolled back, its events are claimed again later, and the work goes on.
        """
        cron, done, batches, collisions = self.env["ir.cron"], 0, 0, 0
        while max_batches is None or batches < max_batches:
            try:
                events = self._claim(batch_size)
                if not events:
                    break
                events._pr_process()
            except psycopg2.errors.SerializationFailure:
                collisions += 1
                _logger.info("A batch of events collided with another worker; it will be claimed again.")
                if collisions > MAX_COLLISIONS:
                    raise
                self.env.cr.rollback()
                self.env.invalidate_all()
                time.sleep(random.uniform(0.05, 0.5) * collisions)
                continue
            done += len(events)
            batches += 1
            if not cron._commit_progress(len(events)):
                break
        return done

    def _pr_process(self):
        """Process these claimed events. One bad event never blocks the others.

        The batch is processed as a whole, in a constant number of queries. If anything in it
        fails, it is rolled back and each event is processed on its own, so that only the events
        at fault are marked in error, with the message, and nothing of theirs is written.
        """
        if not self:
            return
        try:
            with self.env.cr.savepoint():
                _EventBatch(self).run()
        except (psycopg2.OperationalError, AccessError):
            raise
        except Exception:  # noqa: BLE001 - any failure of one event must not block the batch
            self.env.invalidate_all()
            for event in self:
                try:
                    with self.env.cr.savepoint():
                        _EventBatch(event).run()
                except psycopg2.OperationalError:
                    raise
                except Exception as error:  # noqa: BLE001
                    self.env.invalidate_all()
                    event._pr_mark_error(error)

    def _pr_mark_error(self, error):
        message = error.args[0] if isinstance(error, (UserError, ValidationError)) and error.args else repr(error)
        _logger.info("Behaviour event %s could not be processed: %s", self.id, message)
        self.env.cr.execute(
            SQL(
                "UPDATE pr_event SET state = 'error', message = %s, processed_date = %s WHERE id = %s",
                message,
                fields.Datetime.now(),
                self.id,
            )
        )
        self.invalidate_recordset(["state", "message", "processed_date"])

    @api.model
    def _cron_process_events(self, batch_size=500):
        self.env["ir.cron"]._commit_progress(remaining=self.search_count([("state", "=", "pending")]))
        if self._process_pending(batch_size):
            # New behaviours may earn badges: grant them soon rather than at the nightly run.
            self.env.ref("positive_reinforcement.ir_cron_grant_badges")._trigger()


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


class _EventInput:
    """Checks the events an external system sends, one by one, with set-based look-ups."""

    def __init__(self, model, events):
        self.model = model
        self.env = model.env
        rows = [event for event in events if isinstance(event, dict)]
        codes = {str(event.get("behavior")) for event in rows if event.get("behavior")}
        self.behaviors = self.env["pr.behavior"]._by_code(codes)
        ids = [event["partner_id"] for event in rows if isinstance(event.get("partner_id"), int)]
        emails = [str(event["partner_email"]).strip().lower() for event in rows if event.get("partner_email")]
        refs = [str(event["partner_ref"]) for event in rows if event.get("partner_ref")]
        Partner = self.env["res.partner"]
        self.by_id = {p.id: p for p in Partner.search([("id", "in", ids)])} if ids else {}
        self.by_email, self.by_ref = {}, {}
        if emails:
            for partner in Partner.search([("email_normalized", "in", emails)], order="id"):
                self.by_email.setdefault(partner.email_normalized, partner)
        if refs:
            for partner in Partner.search([("ref", "in", refs)], order="id"):
                self.by_ref.setdefault(partner.ref, partner)
        self.latest = fields.Datetime.now() + FUTURE_TOLERANCE

    def external_id(self, event):
        return event.get("external_id") if isinstance(event, dict) else False

    def parse(self, event):
        if not isinstance(event, dict):
            return None, self.env._("An event must be an object.")
        partner = (
            self.by_id.get(event.get("partner_id"))
            or self.by_email.get(str(event.get("partner_email") or "").strip().lower())
            or self.by_ref.get(str(event.get("partner_ref") or ""))
        )
        if not partner:
            return None, self.env._("Unknown customer.")
        behavior = self.behaviors.get(str(event.get("behavior") or ""))
        if not behavior:
            return None, self.env._("Unknown behaviour %(code)s.", code=event.get("behavior"))
        value = event.get("value") or 0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            return None, self.env._("The value must be a positive number.")
        try:
            date = fields.Datetime.to_datetime(event.get("date")) if event.get("date") else fields.Datetime.now()
        except (ValueError, TypeError):
            return None, self.env._("The date must read like 2026-11-02 10:30:00.")
        if not isinstance(date, datetime) or date > self.latest:
            return None, self.env._("A behaviour cannot be dated in the future.")
        external_id = event.get("external_id")
        if not external_id or not isinstance(external_id, (str, int)):
            return None, self.env._("Each event needs an external id.")
        return {
            "partner_id": partner.id,
            "behavior_id": behavior.id,
            "date": date,
            "value": value,
            "company_id": self.env.company.id,
            "idempotency_key": f"api:{external_id}",
        }, None

    def existing_keys(self, keys):
        events = self.model.sudo().search_fetch(
            [("idempotency_key", "in", keys), ("company_id", "=", self.env.company.id)], ["idempotency_key"]
        )
        return {event.idempotency_key: event.id for event in events}


class _EventBatch:
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
                       e.source_model, e.source_id, p.active AS partner_active, p.user_id AS partner_user_id,
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
            self._set_state(ignored, "ignored", self.env._("The behaviour is archived."))
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
            }
            for company in companies
        }
        by_behavior = defaultdict(list)
        for rule in records:
            experiment = rule.experiment_variant_id.experiment_id
            by_behavior[rule.behavior_id.id].append(
                {
                    "id": rule.id,
                    "name": rule.name,
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
        days = [e["date"].date() for e in events]
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
        for period in {rule["period"] for rule in all_rules if rule["max_per_period"]}:
            limited = [rule["id"] for rule in all_rules if rule["max_per_period"] and rule["period"] == period]
            for rule, partner, day, count in Decision._read_group(
                [("rule_id", "in", limited), ("outcome", "=", "granted"), ("partner_id", "in", holder_ids)],
                ["rule_id", "partner_id", "date:day"],
                ["__count"],
            ):
                self.per_period[(rule.id, partner.id, _period_start(period, _as_date(day)))] += count
        self.budget = defaultdict(int)
        budgeted = [rule["id"] for rule in all_rules if rule["budget"]]
        if budgeted:
            for rule, month, points in Decision._read_group(
                [("rule_id", "in", budgeted), ("outcome", "=", "granted")], ["rule_id", "date:month"], ["points:sum"]
            ):
                self.budget[(rule.id, _as_date(month))] += points
        self.rule_ids = rule_ids

    # --- deciding --------------------------------------------------------------

    def _decide(self, event, rule):
        holder_id = event["holder_id"]
        decision = {"event": event, "rule": rule, "points": 0, "note": ""}
        day = event["date"].date()
        tier_id = self.tiers.get((holder_id, event["company_id"]))
        if (rule["date_from"] and day < rule["date_from"]) or (rule["date_to"] and day > rule["date_to"]):
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": self.env._("Outside the rule's validity dates."),
            }
        if rule["variant_id"] and self.variants.get((rule["experiment_id"], holder_id)) != rule["variant_id"]:
            return {**decision, "outcome": "skipped_condition", "note": self._experiment_note(rule, holder_id)}
        if "matching" in rule and event["partner_id"] not in rule["matching"]:
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": self.env._("The customer does not match the rule's filter."),
            }
        if rule["tier_ids"] and tier_id not in rule["tier_ids"]:
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": self.env._("The customer's tier is not eligible."),
            }
        if rule["min_value"] and event["value"] < rule["min_value"]:
            return {
                **decision,
                "outcome": "skipped_condition",
                "note": self.env._("The value is below the rule's minimum."),
            }
        points = self._points(event, rule, tier_id)
        if points <= 0:
            return {**decision, "outcome": "skipped_condition", "note": self.env._("The value earns no points.")}
        if rule["once"] and self.once[(rule["id"], holder_id)]:
            return {**decision, "outcome": "skipped_limit", "note": self.env._("Already rewarded once.")}
        period_key = (rule["id"], holder_id, _period_start(rule["period"], day))
        if rule["max_per_period"] and self.per_period[period_key] >= rule["max_per_period"]:
            return {**decision, "outcome": "skipped_limit", "note": self.env._("The limit per period is reached.")}
        month = day.replace(day=1)
        if rule["budget"] and self.budget[(rule["id"], month)] + points > rule["budget"]:
            return {**decision, "outcome": "skipped_budget", "note": self.env._("The rule's monthly budget is spent.")}
        self.once[(rule["id"], holder_id)] += 1
        self.per_period[period_key] += 1
        self.budget[(rule["id"], month)] += points
        return {**decision, "outcome": "granted", "points": points}

    def _experiment_note(self, rule, holder_id):
        if not rule["experiment_running"]:
            return self.env._("The experiment %(experiment)s is not running.", experiment=rule["experiment_name"])
        if (rule["experiment_id"], holder_id) not in self.variants:
            return self.env._("The customer is not in experiment %(experiment)s.", experiment=rule["experiment_name"])
        return self.env._(
            "The customer is in another group of experiment %(experiment)s.", experiment=rule["experiment_name"]
        )

    def _points(self, event, rule, tier_id):
        if rule["mode"] == "fixed":
            points = rule["points"]
        else:
            points = event["value"] * (rule["rate"] or self.companies[event["company_id"]]["per_currency"])
        if rule["multiplier"]:
            points *= self.multipliers.get(tier_id, 1.0) if tier_id else 1.0
            day = event["date"].date()
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
            "reason": rule["name"],
            "source_model": event["source_model"] or "pr.event",
            "source_id": event["source_id"] or event["id"],
            "idempotency_key": f"pr.event:{event['id']}:rule:{rule['id']}",
        }
        if rule["release"] == "policy":
            company = self.companies[event["company_id"]]
            if company["release_on"] == "payment":
                movement["pending"] = True
            else:
                movement["release_date"] = event["date"].date() + timedelta(days=company["pending_days"])
        return movement

    # --- writing ---------------------------------------------------------------

    def _write_decisions(self, decisions):
        if not decisions:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO pr_event_decision (event_id, rule_id, partner_id, company_id, date, outcome, points,
                                               entry_id, note, create_uid, create_date, write_uid, write_date)
                SELECT d.*, %s, %s, %s, %s
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::timestamp[], %s::varchar[], %s::int[],
                              %s::int[], %s::varchar[]) AS d
                """,
                self.env.uid,
                self.now,
                self.env.uid,
                self.now,
                [d["event"]["id"] for d in decisions],
                [d["rule"]["id"] for d in decisions],
                [d["event"]["holder_id"] for d in decisions],
                [d["event"]["company_id"] for d in decisions],
                [d["event"]["date"] for d in decisions],
                [d["outcome"] for d in decisions],
                [d["points"] for d in decisions],
                [d.get("entry_id") for d in decisions],
                [d["note"] or None for d in decisions],
            )
        )
        self.env["pr.event.decision"].invalidate_model()

    def _write_states(self, events, outcomes):
        messages = {}
        for event in events:
            decisions = outcomes.get(event["id"], [])
            granted = sum(d["points"] for d in decisions if d["outcome"] == "granted")
            if not decisions:
                messages[event["id"]] = ("ignored", self.env._("No active reward rule for this behaviour."))
            elif granted:
                messages[event["id"]] = ("processed", self.env._("%(points)s points granted.", points=granted))
            else:
                reasons = " ".join(d["note"] for d in decisions)
                messages[event["id"]] = ("processed", self.env._("No reward: %(reasons)s", reasons=reasons))
        if not messages:
            return
        ids = list(messages)
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_event e SET state = d.state, message = d.message, processed_date = %s,
                       write_uid = %s, write_date = %s
                  FROM unnest(%s::int[], %s::varchar[], %s::text[]) AS d(id, state, message)
                 WHERE e.id = d.id
                """,
                self.now,
                self.env.uid,
                self.now,
                ids,
                [messages[i][0] for i in ids],
                [messages[i][1] for i in ids],
            )
        )
        self.env["pr.event"].invalidate_model(["state", "message", "processed_date"])

    def _set_state(self, event_ids, state, message):
        self.env.cr.execute(
            SQL(
                "UPDATE pr_event SET state = %s, message = %s, processed_date = %s WHERE id = ANY(%s)",
                state,
                message,
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
        values = []
        today = fields.Date.context_today(self.env["pr.event"])
        model_id = self.env["ir.model"]._get_id("res.partner")
        for decision in decisions:
            rule, event = decision["rule"], decision["event"]
            if decision["outcome"] == "granted" and rule["activity"]:
                holder = self.env["res.partner"].browse(event["holder_id"])
                record = self.rule_records[rule["id"]]
                values.append(
                    {
                        "res_model_id": model_id,
                        "res_id": holder.id,
                        "activity_type_id": rule["activity"].id,
                        "summary": record.activity_summary or record.name,
                        "note": record.activity_note,
                        "user_id": holder.user_id.id or event["partner_user_id"] or self.env.user.id,
                        "date_deadline": today + timedelta(days=rule["activity"].delay_count or 0),
                    }
                )
        if values:
            self.env["mail.activity"].sudo().create(values)
        self._ask_personal_touch(decisions)

    def _ask_personal_touch(self, decisions):
        """Notes and gifts are done by people: the account manager gets an activity or a gift proposal."""
        notes, gifts = [], []
        today = fields.Date.context_today(self.env["pr.event"])
        model_id = self.env["ir.model"]._get_id("res.partner")
        note_type = self.env.ref("positive_reinforcement.mail_activity_type_pr_thank_you_note")
        for decision in decisions:
            rule = self.rule_records[decision["rule"]["id"]]
            if decision["outcome"] != "granted" or rule.personal_touch == "none":
                continue
            holder = self.env["res.partner"].browse(decision["event"]["holder_id"])
            user_id = holder.user_id.id or decision["event"]["partner_user_id"] or self.env.user.id
            if rule.personal_touch == "note":
                notes.append(
                    {
                        "res_model_id": model_id,
                        "res_id": holder.id,
                        "activity_type_id": note_type.id,
                        "summary": self.env._("Thank-you note: %(reason)s", reason=rule.name),
                        "note": rule.personal_message,
                        "user_id": user_id,
                        "date_deadline": today + timedelta(days=note_type.delay_count or 0),
                    }
                )
            else:
                gifts.append(
                    {
                        "name": rule.gift_name or rule.name,
                        "partner_id": holder.id,
                        "company_id": decision["event"]["company_id"],
                        "user_id": user_id,
                        "value": rule.gift_value,
                        "message": rule.personal_message,
                        "reason": rule.name,
                        "origin": "rule",
                        "rule_id": rule.id,
                    }
                )
        if notes:
            self.env["mail.activity"].sudo().create(notes)
        if gifts:
            self.env["pr.surprise.gift"].sudo().create(gifts)


def _period_start(period, day):
    """First day of the week, month or year that contains ``day``."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "year":
        return day.replace(month=1, day=1)
    return day.replace(day=1)


class PrEventDemo(models.Model):
    _inherit = "pr.event"

    @api.model
    def _demo_record_events(self, partner_ids):
        """Social media, reviews and feedback of the last months for the demo customers, processed."""
        behaviors = self.env["pr.behavior"]._by_code(["social_media", "review", "feedback"])
        now = fields.Datetime.now()
        values = [
            {
                "partner_id": partner_id,
                "behavior_id": behaviors[code].id,
                "date": now - timedelta(days=days),
                "idempotency_key": f"demo:{code}:{partner_id}:{days}",
            }
            for index, partner_id in enumerate(partner_ids)
            for code, days in (
                ("social_media", 3 + index),
                ("social_media", 40 + index),
                ("review", 10 + 7 * index),
                ("feedback", 20 + index),
            )
        ]
        events = self._record(values)
        events._pr_process()
        # One still waiting for the processing cron.
        self._record(
            [
                {
                    "partner_id": partner_ids[0],
                    "behavior_id": behaviors["social_media"].id,
                    "date": now - timedelta(days=1),
                    "idempotency_key": "demo:pending-social",
                }
            ]
        )
