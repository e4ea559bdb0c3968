import json
import logging
import random
import time
import uuid
from collections import defaultdict

import psycopg2
import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from . import pr_demo_data
from .idempotency import bulk_insert_query, known_keys
from .pr_event_outside import FUTURE_TOLERANCE, OutsideRecording, email_key
from .pr_i18n import _lt, write_translated
from .pr_reward_engine import EventBatch

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
    # The ledger's cron asks whether a document's orders still have events waiting (pr_ledger_queue.py).
    _pending_source_idx = models.Index("(source_model, source_id) WHERE state = 'pending'")

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
        new, seen = [], set()
        for vals in vals_list:
            key = (vals["company_id"], vals["idempotency_key"])
            if key not in seen:
                seen.add(key)
                new.append(vals)
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
        # Keys already known are skipped by the insert itself; the processing cron is triggered in the
        # same statement when it inserts anything (once per transaction).
        insert = bulk_insert_query(
            self.env,
            self._table,
            {column: (sql_type, [vals.get(column) or None for vals in new]) for column, sql_type in columns.items()},
            now,
            constants={"state": "pending"},
            conflict=("company_id", "idempotency_key"),
            returning=("company_id", "idempotency_key", "id"),
        )
        rows = self.env["ir.cron"]._pr_insert_and_trigger(insert, "positive_reinforcement.ir_cron_process_events")
        known = {(row[0], row[1]): row[2] for row in rows}
        if len(known) < len(seen):
            # Recorded before, by this transaction or another one: find them.
            known.update(self._known_keys(seen - set(known)))
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
                EventBatch(self).run()
        except (psycopg2.OperationalError, AccessError):
            raise
        except Exception:  # noqa: BLE001 - any failure of one event must not block the batch
            self.env.invalidate_all()
            for event in self:
                try:
                    with self.env.cr.savepoint():
                        EventBatch(event).run()
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

    @api.model
    def _demo_record_events(self, partner_ids):
        """Social media, reviews and feedback of the last months for the demo customers, processed."""
        return pr_demo_data.record_events(self, partner_ids)
