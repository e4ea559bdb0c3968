"""The posting engine: checks a batch of point movements and writes them to the ledger."""

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL

from .idempotency import bulk_insert, known_keys
from .pr_i18n import installed_langs, translations_json
from .pr_member import EXPIRING_SOON_DAYS, NEW_MEMBER_ZEROS
from .pr_timezone import pr_local_date

KINDS = [
    ("earn", "Earned"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("adjust", "Adjustment"),
    ("reversal", "Reversal"),
]
KIND_CODES = {code for code, _label in KINDS}
DEBIT_KINDS = ("redeem", "expire")
MAX_ERRORS_SHOWN = 10
PARTNER_FIELDS = ("active", "commercial_partner_id", "company_id")
COMPANY_FIELDS = ("pr_wallet_mode", "pr_pending_days", "pr_points_validity_months", "pr_tier_window_months")


def _cached(records, field_names):
    """Whether the transaction's cache holds ``field_names`` of all ``records`` (then reading them costs no query)."""
    return all(not next(records._fields[name]._cache_missing_ids(records), None) for name in field_names)


class PostingBatch:
    """The working state of one call to ``_post_movements``: resolution, checks, SQL writes."""

    def __init__(self, model, movements, now):
        self.model = model
        self.env = model.env
        self.cr = model.env.cr
        self.movements = movements
        self.now = now
        self.latest = now + timedelta(minutes=5)  # clocks differ a little between servers
        self.errors = []
        self.todo = []  # movements to insert
        self.existing = {}  # (company_id, key) -> entry id already posted
        self.members = {}  # (partner_id, company_id) -> member row dict
        self.inserted = {}  # (company_id, key) -> new entry id
        # One movement is written without a savepoint: nothing is written before its checks pass, nor
        # can fail after (when no automated rule listens to the entries posted).
        self.single = len(movements) == 1 and not self.env["pr.outgoing.event"]._pr_listened()

    def _(self, *args, **kwargs):
        return self.env._(*args, **kwargs)

    # --- resolution ---------------------------------------------------------

    def resolve(self):
        self._resolve_targets()
        self._resolve_partners()
        for index, movement in enumerate(self.movements):
            self._check_movement(index + 1, movement)
        self._raise_errors()
        if self.single:
            # Its key is looked up only if it cannot be inserted, or would overdraw (see ``post``).
            self.todo = list(self.movements)
        else:
            self._resolve_idempotency()

    def _resolve_targets(self):
        """Reversals take customer, company and state from the entry they reverse."""
        target_ids = [m["reversed_entry_id"] for m in self.movements if m.get("reversed_entry_id")]
        self.targets = {}
        if not target_ids:
            return
        self.cr.execute(
            SQL(
                """
            SELECT e.id, e.member_id, e.partner_id, e.company_id, e.kind, e.points, e.state, e.release_date,
                   e.date, e.expiry_date,
                   e.points + COALESCE((SELECT SUM(r.points) FROM pr_ledger_entry r
                                         WHERE r.reversed_entry_id = e.id), 0) AS reversible
              FROM pr_ledger_entry e WHERE e.id = ANY(%s)
            """,
                target_ids,
            )
        )
        self.targets = {row["id"]: row for row in self.cr.dictfetchall()}
        for movement in self.movements:
            target = self.targets.get(movement.get("reversed_entry_id"))
            if target:
                movement.update(
                    kind="reversal",
                    member_id=target["member_id"],
                    partner_id=target["partner_id"],
                    company_id=target["company_id"],
                )

    def _resolve_partners(self):
        member_ids = [m["member_id"] for m in self.movements if m.get("member_id")]
        self.member_partner = {}
        if member_ids:
            self.cr.execute(SQL("SELECT id, partner_id, company_id FROM pr_member WHERE id = ANY(%s)", member_ids))
            self.member_partner = {row[0]: (row[1], row[2]) for row in self.cr.fetchall()}
            for movement in self.movements:
                if movement.get("member_id") in self.member_partner:
                    movement["partner_id"], movement["company_id"] = self.member_partner[movement["member_id"]]
        partner_ids = [m["partner_id"] for m in self.movements if isinstance(m.get("partner_id"), int)]
        partners = self.env["res.partner"].sudo().browse(partner_ids)
        if _cached(partners, PARTNER_FIELDS):
            # The customers of a document being confirmed, for instance: the transaction has read them.
            self.partners = {p.id: (p.id, p.active, p.commercial_partner_id.id, p.company_id.id) for p in partners}
        else:
            self.cr.execute(
                SQL(
                    "SELECT id, active, commercial_partner_id, company_id FROM res_partner WHERE id = ANY(%s)",
                    partner_ids,
                )
            )
            self.partners = {row[0]: row for row in self.cr.fetchall()}
        company_ids = list({m.get("company_id") or self.env.company.id for m in self.movements})
        allowed = None if self.env.su else set(self.env.companies.ids)
        self.companies = {}
        # The companies and their settings in one read (none when cached); the user's companies only
        # matter without sudo.
        Company = self.env["res.company"].sudo().with_context(active_test=False)
        companies = Company.browse(company_ids)
        if not _cached(companies, COMPANY_FIELDS):
            companies = Company.search_fetch([("id", "in", company_ids)], COMPANY_FIELDS)
        for company in companies:
            if allowed is None or company.id in allowed:
                # Days are the company's, in its time zone: release, expiry, the tier window and "today".
                tz = company._pr_tz()
                today = pr_local_date(self.now, tz)
                self.companies[company.id] = {
                    "wallet_mode": company.pr_wallet_mode,
                    "pending_days": company.pr_pending_days,
                    "validity_months": company.pr_points_validity_months,
                    "tz": tz,
                    "today": today,
                    "window_start": today - relativedelta(months=company.pr_tier_window_months),
                }

    def _check_movement(self, line, movement):
        movement.setdefault("company_id", self.env.company.id)
        company = self.companies.get(movement["company_id"])
        partner = self.partners.get(movement.get("partner_id"))
        points = movement.get("points")
        kind = movement.get("kind")
        if company is None:
            self.errors.append(self._("Line %(line)s: the company is unknown or not allowed.", line=line))
            return
        if movement.get("reversed_entry_id") and movement["reversed_entry_id"] not in self.targets:
            self.errors.append(self._("Line %(line)s: the entry to reverse does not exist.", line=line))
            return
        if movement.get("member_id") and movement["member_id"] not in self.member_partner:
            self.errors.append(self._("Line %(line)s: the loyalty member does not exist.", line=line))
            return
        if not partner or not partner[1]:
            self.errors.append(self._("Line %(line)s: the customer is unknown or archived.", line=line))
            return
        if partner[3] and partner[3] != movement["company_id"]:
            self.errors.append(self._("Line %(line)s: the customer belongs to another company.", line=line))
            return
        if not isinstance(points, int) or isinstance(points, bool) or not points:
            self.errors.append(self._("Line %(line)s: the points must be a whole number other than zero.", line=line))
            return
        if kind not in KIND_CODES:
            self.errors.append(self._("Line %(line)s: unknown kind of movement.", line=line))
            return
        if kind == "reversal":
            self._check_reversal(line, movement)
        elif kind == "earn" and points < 0 or kind in DEBIT_KINDS and points > 0:
            self.errors.append(
                self._("Line %(line)s: earned points must be positive, redeemed or expired points negative.", line=line)
            )
        date = movement.get("date") or self.now
        if not isinstance(date, datetime):
            date = fields.Datetime.to_datetime(date)
        if date > self.latest:
            self.errors.append(self._("Line %(line)s: a movement cannot be dated in the future.", line=line))
        movement["date"] = date
        if not movement.get("member_id") and company["wallet_mode"] == "commercial":
            movement["contact_id"] = movement["partner_id"]
            movement["partner_id"] = partner[2]
        elif not movement.get("member_id"):
            movement["contact_id"] = movement["partner_id"]
        if not movement.get("idempotency_key"):
            movement["idempotency_key"] = f"{kind}:{uuid.uuid4().hex}"
        self._set_state_and_dates(movement, company)

    def _check_reversal(self, line, movement):
        target = self.targets.get(movement.get("reversed_entry_id"))
        if not target:
            self.errors.append(self._("Line %(line)s: a reversal needs the entry it reverses.", line=line))
        elif target["kind"] == "reversal":
            self.errors.append(self._("Line %(line)s: a reversal cannot be reversed.", line=line))
        elif (movement["points"] > 0) == (target["points"] > 0):
            self.errors.append(self._("Line %(line)s: a reversal moves points in the opposite direction.", line=line))
        else:
            target["reversible"] += movement["points"]
            if (target["reversible"] > 0) != (target["points"] > 0) and target["reversible"]:
                self.errors.append(
                    self._(
                        "Line %(line)s: the reversal exceeds what remains of the entry (%(left)s points).",
                        line=line,
                        left=target["reversible"] - movement["points"],
                    )
                )

    def _set_state_and_dates(self, movement, company):
        kind, points, date = movement["kind"], movement["points"], movement["date"]
        day = pr_local_date(date, company["tz"])
        if kind == "reversal":
            target = self.targets[movement["reversed_entry_id"]]
            movement["state"] = target["state"]
            movement["release_date"] = target["release_date"]
            movement["expiry_date"] = None
            return
        release = movement.get("release_date")
        if kind == "earn" and not release and company["pending_days"]:
            release = day + timedelta(days=company["pending_days"])
        movement["release_date"] = release or None
        pending = points > 0 and (movement.get("pending") or (release and release > company["today"]))
        movement["state"] = "pending" if pending else "available"
        if points > 0 and not movement.get("expiry_date") and company["validity_months"]:
            movement["expiry_date"] = day + relativedelta(months=company["validity_months"])
        movement["expiry_date"] = movement.get("expiry_date") if points > 0 else None

    def _raise_errors(self):
        if self.errors:
            shown = self.errors[:MAX_ERRORS_SHOWN]
            if len(self.errors) > MAX_ERRORS_SHOWN:
                shown.append(self._("… and %(count)s more.", count=len(self.errors) - MAX_ERRORS_SHOWN))
            raise UserError(self._("Nothing was posted:\n%(errors)s", errors="\n".join(shown)))

    def _resolve_idempotency(self):
        keys = {(m["company_id"], m["idempotency_key"]) for m in self.movements}
        self.existing = known_keys(self.cr, "pr_ledger_entry", keys)
        seen = set()
        self.todo = []
        for movement in self.movements:
            key = (movement["company_id"], movement["idempotency_key"])
            if key not in self.existing and key not in seen:
                seen.add(key)
                self.todo.append(movement)

    # --- writes ---------------------------------------------------------------

    def post(self):
        """Lock, check and insert the movements to post, then move the members' balances and tiers.

        A single movement skips the lookup of its key beforehand: when it would overdraw, or its key
        is already posted (the insert skips it: under repeatable read, a key posted by a transaction
        this one cannot see yet fails to serialize instead), its key is looked up then, and a movement
        already posted returns its entry.
        """
        self.lock_members()
        if not self.check_balances():
            return
        self.create_members()
        self.insert()
        if not self.todo:
            return
        self.model._invalidate_balances()
        members = self.env["pr.member"].browse(self.member_ids())
        members._pr_refresh(upgrade_only=True, deltas=self.deltas(), known_stats=self.known_stats())
        self.emit()

    def _replayed(self):
        """Whether the single movement was already posted (its entry is then among ``existing``)."""
        if not self.single:
            return False
        self._resolve_idempotency()
        return not self.todo

    def lock_members(self):
        """Lock the members concerned, in id order (no deadlock)."""
        pairs = sorted({(m["partner_id"], m["company_id"]) for m in self.todo})
        self.pairs = pairs
        partners, companies = [list(column) for column in zip(*pairs, strict=True)]
        self.cr.execute(
            SQL(
                """
            SELECT m.id, m.partner_id, m.company_id, m.points_available, m.tier_id, m.review_date,
                   m.points_window, m.stats_due_soon, m.stats_spent, m.stats_date FROM pr_member m
              JOIN unnest(%s::int[], %s::int[]) AS k(p, c) ON m.partner_id = k.p AND m.company_id = k.c
             ORDER BY m.id FOR NO KEY UPDATE OF m
            """,
                partners,
                companies,
            )
        )
        self.members = {(row["partner_id"], row["company_id"]): row for row in self.cr.dictfetchall()}

    def create_members(self):
        """Create the members that do not exist yet, with nothing available."""
        pairs = self.pairs
        missing = [pair for pair in pairs if pair not in self.members]
        if missing:
            # A member created at the same time by another transaction makes this one fail to serialize,
            # and the caller retries: it then finds the member above.
            bulk_insert(
                self.env,
                "pr_member",
                {"partner_id": ("int", [p for p, _c in missing]), "company_id": ("int", [c for _p, c in missing])},
                self.now,
                constants=dict.fromkeys(NEW_MEMBER_ZEROS, 0),
                conflict=("partner_id", "company_id"),
                returning=(
                    "id",
                    "partner_id",
                    "company_id",
                    "points_available",
                    "tier_id",
                    "review_date",
                    "points_window",
                    "stats_due_soon",
                    "stats_spent",
                ),
            )
            for row in self.cr.dictfetchall():
                # A new member has no history: its stats are known, all zero, today.
                row["stats_date"] = self.companies[row["company_id"]]["today"]
                self.members[(row["partner_id"], row["company_id"])] = row
            if len(self.members) != len(pairs):
                raise UserError(self._("These points were posted by another user at the same time. Please retry."))

    def check_balances(self):
        """Refuse the whole batch if it would spend more than a member has available (none for a new one).

        :return: whether there is anything to post (false when the single movement was posted before)
        """
        delta = defaultdict(int)
        spends = set()
        for movement in self.todo:
            pair = (movement["partner_id"], movement["company_id"])
            if movement["state"] == "available":
                delta[pair] += movement["points"]
            if movement["points"] < 0 and movement["kind"] != "reversal":
                spends.add(pair)
        new = {"points_available": 0}
        short = [
            {**self.members.get(pair, new), "partner_id": pair[0], "company_id": pair[1]}
            for pair in sorted(spends)
            if self.members.get(pair, new)["points_available"] + delta[pair] < 0
        ]
        if short and self._replayed():
            return False
        if short:
            names = dict(
                self.env["res.partner"]
                .browse([m["partner_id"] for m in short])
                .sudo()
                .mapped(lambda p: (p.id, p.display_name))
            )
            self.errors = [
                self._(
                    "%(customer)s has %(available)s points available, %(missing)s short.",
                    customer=names[m["partner_id"]],
                    available=m["points_available"],
                    missing=-(m["points_available"] + delta[(m["partner_id"], m["company_id"])]),
                )
                for m in short
            ]
            self._raise_errors()
        return True

    def insert(self):
        for movement in self.todo:
            member = self.members[(movement["partner_id"], movement["company_id"])]
            movement["member_id"] = member["id"]
            movement["tier_id"] = member["tier_id"]
        columns = {
            "member_id": "int",
            "partner_id": "int",
            "contact_id": "int",
            "company_id": "int",
            "date": "timestamp",
            "kind": "varchar",
            "points": "int",
            "state": "varchar",
            "release_date": "date",
            "expiry_date": "date",
            "tier_id": "int",
            "source_model": "varchar",
            "source_id": "int",
            "reason": "jsonb",
            "reversed_entry_id": "int",
            "idempotency_key": "varchar",
        }
        arrays = [
            translations_json([m.get("reason") for m in self.todo], installed_langs(self.env))
            if column == "reason"
            else [movement.get(column) or None for movement in self.todo]
            for column in columns
        ]
        bulk_insert(
            self.env,
            "pr_ledger_entry",
            {column: (sql_type, values) for (column, sql_type), values in zip(columns.items(), arrays, strict=True)},
            self.now,
            conflict=("company_id", "idempotency_key"),
            returning=("company_id", "idempotency_key", "id"),
        )
        self.inserted = {(row[0], row[1]): row[2] for row in self.cr.fetchall()}
        if not self.inserted and self._replayed():
            return
        if len(self.inserted) != len(self.todo):
            # Another transaction posted one of these keys since ours started: let the caller retry.
            raise UserError(self._("These points were posted by another user at the same time. Please retry."))

    def emit(self):
        """Tell the automated rules on *Loyalty Events Out* of the entries inserted (nothing when none listens)."""
        self.env["pr.outgoing.event"]._pr_emit(
            {
                "kind": "points_posted",
                "partner_id": movement["partner_id"],
                "company_id": movement["company_id"],
                "date": self.now,
                "points": movement["points"],
                "res_model": "pr.ledger.entry",
                "res_id": self.inserted[(movement["company_id"], movement["idempotency_key"])],
                "payload": {
                    "entry_kind": movement["kind"],
                    "state": movement["state"],
                    "idempotency_key": movement["idempotency_key"],
                    "source_model": movement.get("source_model") or False,
                    "source_id": movement.get("source_id") or False,
                },
            }
            for movement in self.todo
        )

    def deltas(self):
        """``{member_id: (available, pending, earned)}``: how this batch moves each member's balances."""
        delta = defaultdict(lambda: [0, 0, 0])
        for movement in self.todo:
            bucket = delta[movement["member_id"]]
            available = movement["state"] == "available"
            bucket[0 if available else 1] += movement["points"]
            target = self.targets.get(movement.get("reversed_entry_id"))
            if available and (movement["kind"] == "earn" or (target and target["kind"] == "earn")):
                bucket[2] += movement["points"]
        return {member_id: tuple(bucket) for member_id, bucket in delta.items()}

    def known_stats(self):
        """The stats of the batch's members without reading their ledger, where today's are stored.

        A member locked above carries its window points, and the two sums soon-expiring points come
        from (positive lots expiring within the horizon, and debits), as read from its ledger
        earlier today, or zero for a new member. This batch's movements move them as the full
        read in ``pr.member._pr_read_stats`` would count them. Members whose stored stats are from
        another day are left out: their ledger is read.
        """
        moved = {}
        for member in self.members.values():
            today = self.companies[member["company_id"]]["today"]
            if member["stats_date"] == today:
                moved[member["id"]] = {
                    "today": today,
                    "company_id": member["company_id"],
                    "partner_id": member["partner_id"],
                    "tier_id": member["tier_id"],
                    "review_date": member["review_date"],
                    "window": member["points_window"] or 0,
                    "due_soon": member["stats_due_soon"] or 0,
                    "spent": member["stats_spent"] or 0,
                }
        for movement in self.todo:
            stats = moved.get(movement["member_id"])
            if stats is None or movement["state"] != "available":
                continue  # pending points count nowhere until they are released (and read again)
            lot = self.targets.get(movement.get("reversed_entry_id")) or movement
            points = movement["points"]
            if lot["points"] < 0:
                stats["spent"] -= points  # a debit, or the reversal of one
                continue
            company = self.companies[movement["company_id"]]
            if lot["kind"] == "earn" and pr_local_date(lot["date"], company["tz"]) >= company["window_start"]:
                stats["window"] += points
            if lot["expiry_date"] and lot["expiry_date"] <= stats["today"] + timedelta(days=EXPIRING_SOON_DAYS):
                stats["due_soon"] += points
        for stats in moved.values():
            stats["expiring"] = max(0, stats["due_soon"] - stats["spent"])
        return moved

    # --- results --------------------------------------------------------------

    def member_ids(self):
        return sorted({m["member_id"] for m in self.todo})

    def result_ids(self):
        found = {**self.existing, **self.inserted}
        return [found[(m["company_id"], m["idempotency_key"])] for m in self.movements]
