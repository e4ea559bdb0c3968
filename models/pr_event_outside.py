"""Behaviours recorded from outside the engine: by hand, by an import, or by another system through the API.

Points are money. What comes from outside is checked field by field before anything is written, is
accepted only for the behaviours marked *Accepted from Outside*, and never chooses its own idempotency
key: the engine's keys (``sale.order:12:purchase``, ``pr.referral:7``, ...) stay out of reach.
"""

import math
from collections import defaultdict
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize

GROUP_USER = "positive_reinforcement.positive_reinforcement_group_user"
GROUP_MANAGER = "positive_reinforcement.positive_reinforcement_group_manager"
GROUP_INTEGRATION = "positive_reinforcement.positive_reinforcement_group_integration"

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ: "now" on the sender's side may be a little ahead
MAX_EVENTS = 1000  # events per API call
MAX_VALUE = 1_000_000_000  # the value of one behaviour, in the company currency
MAX_TEXT = 255  # external ids, emails, references, behaviour codes
MAX_ID = 2**31 - 1  # a PostgreSQL integer
API_FIELDS = frozenset({"partner_id", "partner_email", "partner_ref", "behavior", "date", "value", "external_id"})
# Set by the engine only: a caller outside it may not give them (nor their defaults through the context).
ENGINE_FIELDS = ("idempotency_key", "source_model", "source_id", "message", "processed_date", "decision_ids")
# What a person may still change on a recorded behaviour: nothing its points were decided on.
EDITABLE_FIELDS = frozenset({"partner_email"})


def email_key(email):
    """The form of ``email`` that ``res.partner.email_normalized`` holds."""
    return email_normalize(email) or email.strip().lower()


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _is_text(value):
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT and bool(value.strip()) and "\x00" not in value


def _is_good_value(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return 0 <= value <= MAX_VALUE


class _BadEvent(Exception):
    """One event of an API call is wrong: its result says why, and the others go on."""


class OutsideRecording:
    """What a caller outside the engine may record, checked before anything is read or written.

    ``pr.event.create`` and ``write`` (when not superuser) and ``pr.event.record_events`` use it; the engine
    (``_record``: documents, referrals, replays) does not.
    """

    def __init__(self, events):
        self.model = events
        self.env = events.env
        self.now = fields.Datetime.now()

    # --- by hand, by import ----------------------------------------------------

    def check_create(self, vals_list):
        """Refuse, before anything is read or written, what a person or an import may not create.

        Users and Managers of the addon may record by hand or import, and Integration users may create,
        only the behaviours accepted from outside, dated from the company's oldest accepted day to now,
        with a value from 0 to a sane maximum, and none of the fields the engine sets (the idempotency
        key above all). Everyone else is refused.
        """
        user = self.env.user
        if not (user.has_group(GROUP_USER) or user.has_group(GROUP_INTEGRATION)):
            raise AccessError(self.env._("You are not allowed to record customer behaviours."))
        defaults = self.model.default_get([*ENGINE_FIELDS, "state", "behavior_id", "date", "value", "company_id"])
        rows = [{**defaults, **vals} for vals in vals_list]
        accepted = self._accepted_ids(rows)
        oldest = self._oldest_dates(rows)
        for row in rows:
            chosen = [name for name in ENGINE_FIELDS if row.get(name)]
            if row.get("state") not in (None, False, "pending"):
                chosen.append("state")
            if chosen:
                raise UserError(
                    self.env._("Odoo sets these fields itself: %(fields)s.", fields=", ".join(sorted(chosen)))
                )
            behavior_id = row.get("behavior_id")
            if behavior_id and not (_is_id(behavior_id) and behavior_id in accepted):
                raise ValidationError(self.not_accepted_message(behavior_id))
            email = row.get("partner_email")
            if email and not _is_text(email):
                raise ValidationError(self.env._("The customer's email must be a text of at most 255 characters."))
            if not _is_good_value(row.get("value") or 0):
                raise ValidationError(self.value_message())
            company_id = row["company_id"] if _is_id(row.get("company_id")) else False
            self._check_date(row.get("date"), oldest.get(company_id) or oldest[False])

    def check_write(self, vals):
        """Refuse, before anything is written, a change to what a recorded behaviour is.

        Managers may write events, but the customer, behaviour, company, date, value, key and source of
        a behaviour are what its points are decided on, and its state and message are the engine's: they
        change only through *Process Now*, *Ignore* and the engine. Writing a field the value it already
        has changes nothing and is let through (an import of unchanged rows).
        """
        self.model.check_access("write")
        changed = [name for name in vals if name not in EDITABLE_FIELDS and self._changes(name, vals[name])]
        if changed:
            fields_ = self.model._fields
            labels = sorted(
                fields_[name]._description_string(self.env) if name in fields_ else name for name in changed
            )
            raise UserError(
                self.env._(
                    "A recorded behaviour cannot be changed (%(fields)s): record the right one as a new event, "
                    "and ignore this one or reverse its points.",
                    fields=", ".join(labels),
                )
            )

    def _changes(self, name, value):
        """Whether writing ``value`` in the field ``name`` would change any of the events."""
        field = self.model._fields.get(name)
        if field is None or not field.store or field.type in ("one2many", "many2many"):
            return True
        try:
            return any(
                field.convert_to_record(field.convert_to_cache(value, event), event) != event[name]
                for event in self.model
            )
        except (TypeError, ValueError):
            return True

    def _accepted_ids(self, rows):
        """Ids of the behaviours among ``rows`` that may be recorded from outside."""
        ids = [row["behavior_id"] for row in rows if _is_id(row.get("behavior_id"))]
        Behavior = self.env["pr.behavior"].sudo().with_context(active_test=False)
        return set(Behavior.search([("id", "in", ids), ("accepted_from_outside", "=", True)]).ids)

    def _oldest_dates(self, rows):
        """``{company id: oldest date accepted}``, ``False`` being the current company."""
        ids = {row["company_id"] for row in rows if _is_id(row.get("company_id"))} | {self.env.company.id}
        companies = self.env["res.company"].sudo().browse(ids).exists()
        oldest = {company.id: company._pr_oldest_event_date(self.now) for company in companies}
        oldest[False] = oldest[self.env.company.id]
        return oldest

    def _check_date(self, date, oldest):
        try:
            date = fields.Datetime.to_datetime(date) or self.now
        except (TypeError, ValueError) as error:
            raise ValidationError(self.date_message()) from error
        if date > self.now + FUTURE_TOLERANCE:
            raise ValidationError(self.future_message())
        if date < oldest:
            raise ValidationError(self.too_old_message(oldest))

    # --- messages shared by both ways in ------------------------------------------

    def not_accepted_message(self, behavior):
        name = behavior
        if _is_id(behavior):
            name = self.env["pr.behavior"].sudo().browse(behavior).exists().display_name or behavior
        return self.env._(
            "The behaviour %(behavior)s is not accepted from outside Odoo: it cannot be recorded by hand, "
            "imported or sent through the API.",
            behavior=name,
        )

    def value_message(self):
        return self.env._("The value must be a positive number, at most %(max)s.", max=MAX_VALUE)

    def date_message(self):
        return self.env._("The date must read like 2026-11-02 10:30:00.")

    def future_message(self):
        return self.env._("A behaviour cannot be dated in the future.")

    def too_old_message(self, oldest):
        return self.env._(
            "A behaviour dated more than %(days)s days ago cannot be recorded from outside Odoo.",
            days=(self.now - oldest).days,
        )

    # --- through the API ---------------------------------------------------------

    def record_api_events(self, events):
        """The body of ``pr.event.record_events``: one result per event, in order."""
        self._check_api_caller()
        if not isinstance(events, list):
            raise UserError(self.env._("Send a list of events."))
        if len(events) > MAX_EVENTS:
            raise UserError(
                self.env._(
                    "Send at most %(max)s events per call; this one has %(count)s. Nothing was recorded.",
                    max=MAX_EVENTS,
                    count=len(events),
                )
            )
        reader = _EventInput(self, events)
        results, parsed = [], []
        for index, event in enumerate(events):
            vals, error = reader.parse(event)
            results.append(
                {
                    "external_id": event.get("external_id") if isinstance(event, dict) else None,
                    "status": "error" if error else "created",
                    "event_id": False,
                    "message": error or "",
                }
            )
            if vals:
                parsed.append((index, vals))
        self._record_parsed(parsed, results, reader.existing_keys([vals["idempotency_key"] for _i, vals in parsed]))
        return results

    def _check_api_caller(self):
        user = self.env.user
        if not (self.env.su or user.has_group(GROUP_INTEGRATION) or user.has_group(GROUP_MANAGER)):
            raise AccessError(
                self.env._(
                    "Only an integration user or a Positive Reinforcement manager may record behaviours "
                    "through the API."
                )
            )

    def _record_parsed(self, parsed, results, known):
        """Record the good events of an API call, in one statement; those already recorded are duplicates."""
        fresh, first, repeated = [], {}, []
        for index, vals in parsed:
            key = vals["idempotency_key"]
            if key in known or key in first:
                results[index].update(
                    status="duplicate",
                    event_id=known.get(key, False),
                    message=self.env._("This external id was already recorded."),
                )
                if key not in known:
                    repeated.append((index, first[key]))
            else:
                first[key] = index
                fresh.append(vals)
        recorded = self.model.sudo()._record(fresh) if fresh else self.model.browse()
        for vals, event in zip(fresh, recorded, strict=True):
            results[first[vals["idempotency_key"]]]["event_id"] = event.id
        for index, original in repeated:
            results[index]["event_id"] = results[original]["event_id"]


class _EventInput:
    """Checks the events an external system sends, field by field, with set-based look-ups.

    Customers and behaviours are looked up with the caller's rights: an integration reaches only the
    contacts it may read. Its external ids become keys of its own, ``api:<user id>:<external id>``.
    """

    def __init__(self, recording, events):
        self.recording = recording
        self.model = recording.model
        self.env = recording.env
        self.company = self.env.company
        self.now = recording.now
        self.oldest = self.company.sudo()._pr_oldest_event_date(self.now)
        self.prefix = f"api:{self.env.uid}:"
        rows = [event for event in events if isinstance(event, dict)]
        ids = [row["partner_id"] for row in rows if _is_id(row.get("partner_id"))]
        emails = {email_key(row["partner_email"]) for row in rows if _is_text(row.get("partner_email"))}
        refs = {row["partner_ref"] for row in rows if _is_text(row.get("partner_ref"))}
        codes = {row["behavior"] for row in rows if _is_text(row.get("behavior"))}
        Partner = self.env["res.partner"]
        self.by_id = {partner.id: partner for partner in Partner.search([("id", "in", ids)])} if ids else {}
        self.by_email = self._partners_by(Partner, "email_normalized", emails)
        self.by_ref = self._partners_by(Partner, "ref", refs)
        self.behaviors = self.env["pr.behavior"]._by_code(codes) if codes else {}

    @staticmethod
    def _partners_by(Partner, field, values):
        found = defaultdict(list)
        if values:
            for partner in Partner.search_fetch([(field, "in", list(values))], [field], order="id"):
                found[partner[field]].append(partner)
        return found

    def parse(self, event):
        """``(values to record, None)`` for a good event, ``(None, the reason)`` for a bad one."""
        try:
            return self._parse(event), None
        except _BadEvent as error:
            return None, error.args[0]

    def _parse(self, event):
        if not isinstance(event, dict):
            raise _BadEvent(self.env._("An event must be an object."))
        unknown = sorted(str(name)[:40] for name in event if name not in API_FIELDS)
        if unknown:
            raise _BadEvent(self.env._("Unknown fields: %(fields)s.", fields=", ".join(unknown[:5])))
        external_id = event.get("external_id")
        if not _is_text(external_id):
            raise _BadEvent(self.env._("Each event needs an external id: a text of at most 255 characters."))
        return {
            "partner_id": self._customer(event).id,
            "behavior_id": self._behavior(event.get("behavior")).id,
            "value": self._value(event.get("value")),
            "date": self._date(event.get("date")),
            "company_id": self.company.id,
            "idempotency_key": self.prefix + external_id,
        }

    def _customer(self, event):
        given = [name for name in ("partner_id", "partner_email", "partner_ref") if event.get(name) is not None]
        if not given:
            raise _BadEvent(self.env._("Name the customer by partner_id, partner_email or partner_ref."))
        found = set()
        if "partner_id" in given:
            if not _is_id(event["partner_id"]):
                raise _BadEvent(self.env._("The partner_id must be a positive whole number."))
            found.add(self.by_id.get(event["partner_id"]))
        if "partner_email" in given:
            found.add(self._one(self.by_email, event["partner_email"], email_key, "partner_email"))
        if "partner_ref" in given:
            found.add(self._one(self.by_ref, event["partner_ref"], str, "partner_ref"))
        if None in found:
            raise _BadEvent(self.env._("Unknown customer."))
        if len(found) > 1:
            raise _BadEvent(self.env._("The customer's id, email and reference name different contacts."))
        return found.pop()

    def _one(self, partners_by, value, key, field):
        """The one contact whose email or reference is ``value``; several are an error, none is ``None``."""
        if not _is_text(value):
            raise _BadEvent(self.env._("The %(field)s must be a text of at most 255 characters.", field=field))
        partners = partners_by.get(key(value), [])
        if len(partners) > 1:
            raise _BadEvent(
                self.env._(
                    "%(count)s contacts have the %(field)s %(value)s: name the customer by partner_id instead.",
                    count=len(partners),
                    field=field,
                    value=value,
                )
            )
        return partners[0] if partners else None

    def _behavior(self, code):
        if not _is_text(code):
            raise _BadEvent(self.env._("Each event needs a behaviour code: a text of at most 255 characters."))
        behavior = self.behaviors.get(code)
        if not behavior:
            raise _BadEvent(self.env._("Unknown behaviour %(code)s.", code=code))
        if not behavior.accepted_from_outside:
            raise _BadEvent(self.recording.not_accepted_message(code))
        return behavior

    def _value(self, value):
        if value is None:
            return 0.0
        if not _is_good_value(value):
            raise _BadEvent(self.recording.value_message())
        return float(value)

    def _date(self, value):
        if value is None:
            return self.now
        try:
            date = fields.Datetime.to_datetime(value) if isinstance(value, str) and len(value) <= 32 else None
        except ValueError:
            date = None
        if not date:
            raise _BadEvent(self.recording.date_message())
        if date > self.now + FUTURE_TOLERANCE:
            raise _BadEvent(self.recording.future_message())
        if date < self.oldest:
            raise _BadEvent(self.recording.too_old_message(self.oldest))
        return date

    def existing_keys(self, keys):
        """``{key: event id}`` for the keys already recorded in the company.

        An event this caller recorded before keys had a caller of their own (``api:<external id>``)
        counts too, so that a call sent again after the upgrade is not recorded twice.
        """
        if not keys:
            return {}
        legacy = {f"api:{key[len(self.prefix) :]}": key for key in keys}
        events = (
            self.model.sudo()
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("company_id", "=", self.company.id),
                    "|",
                    ("idempotency_key", "in", keys),
                    "&",
                    ("idempotency_key", "in", list(legacy)),
                    ("create_uid", "=", self.env.uid),
                ],
                ["idempotency_key"],
                order="id",
            )
        )
        found, own = {}, set(keys)
        for event in events:
            if event.idempotency_key in legacy:
                found.setdefault(legacy[event.idempotency_key], event.id)
        found.update({event.idempotency_key: event.id for event in events if event.idempotency_key in own})
        return found
