import json
import logging
import math
import random
import time
import uuid
from collections import defaultdict
from datetime import timedelta

import psycopg2
import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .idempotency import known_keys
from .pr_event_outside import FUTURE_TOLERANCE, OutsideRecording, email_key
from .pr_event_tasks import schedule_tasks
from .pr_i18n import Joined, _lt, field_translations, installed_langs, translations_json, write_translated
from .pr_timezone import pr_local_date
from .res_company import pr_holder_by_row_sql

_logger = logging.getLogger(__name__)

STATES = [("pending", "Pending"), ("processed", "Processed"), ("ignored", "Ignored"), ("error", "Error")]
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
    message = fields.Text(
        readonly=True,
        translate=True,
        help="Why the event was ignored, or the error met when processing it; in every installed language.",
    )
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
        """Events created outside the engine (by hand, by an import, over RPC) are checked first.

        A *User* or *Manager* of the addon may record by hand or import, and an *Integration* user may
        create, only the behaviours *accepted from outside*, within the company's date window, and
        never with an idempotency key or another field the engine sets (see ``OutsideRecording``).
        The engine records through ``_record``, or as superuser.
        """
        if not self.env.su:
            OutsideRecording(self).check_create(vals_list)
        self._prepare_create_vals(vals_list)
        events = super().create(vals_list)
        events._check_not_in_future()
        self.env["ir.cron"]._pr_trigger_once("positive_reinforcement.ir_cron_process_events")
        return events

    def write(self, vals):
        """What a behaviour is cannot change once recorded, and its state follows the actions and the engine.

        Anyone but the engine (superuser) is checked first: see ``OutsideRecording.check_write``.
        """
        if not self.env.su:
            OutsideRecording(self).check_write(vals)
        return super().write(vals)

    def _prepare_create_vals(self, vals_list):
        """Resolve the customer from an email (imports) and give every event an idempotency key.

        An email several contacts share names none of them: it is refused, not guessed.
        """
        emails = {
            email_key(vals["partner_email"])
            for vals in vals_list
            if not vals.get("partner_id") and vals.get("partner_email")
        }
        by_email = defaultdict(list)
        if emails:
            partners = self.env["res.partner"].search([("email_normalized", "in", list(emails))], order="id")
            for partner in partners:
                by_email[partner.email_normalized].append(partner.id)
        for vals in vals_list:
            if not vals.get("partner_id") and vals.get("partner_email"):
                partner_ids = by_email.get(email_key(vals["partner_email"]), [])
                if not partner_ids:
                    raise ValidationError(
                        self.env._("No customer has the email %(email)s.", email=vals["partner_email"])
                    )
                if len(partner_ids) > 1:
                    raise ValidationError(
                        self.env._(
                            "%(count)s contacts have the email %(email)s: give the customer instead.",
                            count=len(partner_ids),
                            email=vals["partner_email"],
                        )
                    )
                vals["partner_id"] = partner_ids[0]
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
        """Process these events now (pending or in error); for those who may change events (Managers)."""
        self.check_access("write")
        todo = self.filtered(lambda event: event.state in ("pending", "error"))
        todo.sudo().write({"state": "pending", "message": False})
        todo._pr_process()
        return True

    def action_ignore(self):
        """Leave these events (pending or in error) unrewarded; for those who may change events (Managers)."""
        self.check_access("write")
        ignored = self.filtered(lambda event: event.state in ("pending", "error")).sudo()
        ignored.write({"state": "ignored"})
        write_translated(ignored, "message", _lt("Ignored by %(user)s.", user=self.env.user.name))
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
            self.env["ir.cron"]._pr_trigger_once("positive_reinforcement.ir_cron_process_events")
        return self.browse([known[(vals["company_id"], vals["idempotency_key"])] for vals in vals_list])

    @api.model
    def _known_keys(self, keys):
        """``{(company id, key): event id}`` for the keys already recorded."""
        return known_keys(self.env.cr, self._table, keys)

    @api.model
    def record_events(self, events):
        """Record a batch of behaviours from an external system (a shop, a social media tool).

        Call it through Odoo's external JSON API with the API key of an *Integration* user (or a
        Manager; anyone else is refused before anything is read)::

            POST /json/2/pr.event/record_events
            Authorization: bearer <API key>
            {"events": [{"partner_email": "ana@example.com", "behavior": "social_media",
                         "date": "2026-11-02 10:30:00", "value": 0, "external_id": "post-981"}]}

        At most 1,000 events per call. Each event names its customer by ``partner_id``, ``partner_email``
        or ``partner_ref`` (the contact's reference; one shared by several contacts is refused), the
        ``behavior`` code of a behaviour accepted from outside, an optional ``date`` (UTC, neither in
        the future nor older than the company allows), ``value`` (company currency, 0 to 1,000,000,000)
        and an ``external_id`` (a text of at most 255 characters), which counts once per caller and
        company. The events are checked one by one: the good ones are recorded together, the others
        are reported; unknown fields are errors.

        :return: one dict per event, in order: ``{"external_id", "status", "event_id", "message"}``
            where ``external_id`` is the one sent and ``status`` is ``created``, ``duplicate`` or ``error``
        """
        return OutsideRecording(self).record_api_events(events)

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
                "UPDATE pr_event SET state = 'error', message = %s::jsonb, processed_date = %s WHERE id = %s",
                json.dumps({"en_US": message}),  # the error as it was raised, in the language of the process
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
                movement["pending"] = True
            else:
                movement["release_date"] = event["day"] + timedelta(days=company["pending_days"])
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
                              %s::int[], %s::jsonb[]) AS d
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
                translations_json([d["note"] for d in decisions], installed_langs(self.env)),
            )
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
