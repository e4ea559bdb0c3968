import ast
from types import MappingProxyType

from odoo import api, models, tools
from odoo.fields import Domain
from odoo.tools import safe_eval

from odoo.addons.base_automation.models.base_automation import WRITE_TRIGGERS

# Written by the time-based rules' cron at every run: they change nothing of what a rule does.
RUN_FIELDS = {"last_run"}
# The action types the addon runs itself, for all the records of a rule at once.
RUN_BY_ADDON = {"pr_behavior": "record", "pr_referral": "referral"}


def _skip_unwatched(patched):
    """Wrap base_automation's ``_compute_field_value``: fields that no rule watches are computed at once."""

    def _compute_field_value(self, field):
        stored = [f.name for f in self.pool.field_computed[field] if f.store]
        if stored and not self.env["base.automation"]._pr_watches(self._name, stored):
            return patched.origin(self, field)
        return patched(self, field)

    _compute_field_value.origin = patched.origin
    _compute_field_value.pr_watched = True
    return _compute_field_value


def _filtered(records, domain):
    """The ``records`` that match ``domain``, as superuser, in their order.

    In memory, as Odoo's rules do, when the domain reads fields the cache mostly holds already (the
    records' own, their many2one's); with one query when it follows a one2many or many2many, which
    in memory reads the related records one field at a time.
    """
    sudo = records.sudo()

    def follows_many(condition):
        if not isinstance(condition, (list, tuple)) or "." not in str(condition[0]):
            return False
        field = records._fields.get(str(condition[0]).split(".", 1)[0])
        return field is not None and field.type in ("one2many", "many2many")

    if not any(follows_many(condition) for condition in domain) or not all(
        isinstance(record_id, int) for record_id in records._ids
    ):
        return sudo.filtered_domain(domain).with_env(records.env)
    found = set(
        sudo.with_context(active_test=False)._search(Domain("id", "in", records.ids) & Domain(domain), order="id")
    )
    return records.filtered(lambda record: record.id in found)


def _parsed_domain(text):
    """``(text, domain)``: the domain itself when the text is a literal, else None (evaluated at each use)."""
    if not text:
        return None
    try:
        return text, ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text, None


class BaseAutomation(models.Model):
    """Automated rules that cost little on the models they watch.

    Odoo's automated rules wrap ``create``, ``write`` and the computation of stored fields of every
    model a rule watches. In each transaction, each of those calls searched the rules of the model
    again, read their filters, trigger fields and actions again, and evaluated their filters even
    when none of their trigger fields had changed (which computes the fields the filter reads, a
    lead's probability for instance, one small batch at a time). The rules keep all of this in the
    registry cache here, cleared whenever a rule or one of its actions changes, so that they stay
    records administrators edit as before; a filter is only evaluated for the records whose
    trigger fields were written; and the actions recording customer behaviours run together for
    all the records of the rule, in one query for their filters and one call to record.
    """

    _inherit = "base.automation"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        automations = super().create(vals_list)
        self.env.registry.clear_cache()
        return automations

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() - RUN_FIELDS:
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    # ------------------------------------------------------------
    # PATCHES
    # ------------------------------------------------------------

    def _register_hook(self):
        """Odoo's rules read, before each stored field of a watched model is computed, the old values of
        all the fields computed with it, for all the records: a query each time (the payment reference
        of every invoice whose name is computed, for instance), even when no rule watches any of these
        fields. Those computations now go straight to the computation."""
        result = super()._register_hook()
        for ModelClass in self.env.registry.values():
            patched = ModelClass.__dict__.get("_compute_field_value")
            if patched is not None and hasattr(patched, "origin") and not hasattr(patched, "pr_watched"):
                ModelClass._compute_field_value = _skip_unwatched(patched)
        return result

    @api.model
    def _pr_watches(self, model_name, field_names):
        """Whether an active rule run on write of ``model_name`` may fire when ``field_names`` change."""
        for automation_id in self._pr_automation_ids(model_name, tuple(WRITE_TRIGGERS)):
            triggers = self._pr_setup(automation_id)["triggers"]
            if not triggers or triggers & set(field_names):
                return True
        return False

    # ------------------------------------------------------------
    # CACHED SETUP
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache("model_name", "triggers", "later")
    def _pr_automation_ids(self, model_name, triggers, later=False):
        """The active rules of ``model_name`` with one of ``triggers``, in their order: those run in the
        transaction, or with ``later`` those run moments later (``base_automation_later.py``)."""
        domain = [("model_name", "=", model_name), ("trigger", "in", list(triggers)), ("pr_later", "=", later)]
        return tuple(self.with_context(active_test=True).sudo().search(domain).ids)

    @api.model
    @tools.ormcache("automation_id")
    def _pr_setup(self, automation_id):
        """What running the rule ``automation_id`` needs to know of it, read once for all transactions."""
        rule = self.sudo().browse(automation_id)
        actions = rule.action_server_ids
        columns = [
            name
            for name, field in actions._fields.items()
            if field.store and field.column_type and field.prefetch is True and not field.translate
        ]
        setup = MappingProxyType(
            {
                "model": rule.model_name,
                "model_id": rule.model_id.id,
                "pre": _parsed_domain(rule.filter_pre_domain),
                "post": _parsed_domain(rule.filter_domain),
                "triggers": frozenset(rule.trigger_field_ids.mapped("name")),
                # (id, run by the addon, warnings, groups) of each action, in their order; "record" when
                # it records a behaviour (all of them together), "referral" when it qualifies referrals
                "actions": tuple(
                    (
                        action.id,
                        RUN_BY_ADDON.get(action.state) if not action.warning and not action.group_ids else False,
                        action.warning or False,
                        tuple(action.group_ids.ids),
                    )
                    for action in actions
                ),
                "behaviors": tuple(
                    (action.pr_behavior_id.id, action.pr_behavior_id.code)
                    for action in actions
                    if action.state == "pr_behavior" and action.pr_behavior_id
                ),
                # the stored fields of the actions (but their translated texts), as running them reads them:
                # (field name, the value of each action)
                "columns": tuple(
                    (name, tuple(actions._fields[name].convert_to_cache(action[name], action) for action in actions))
                    for name in columns
                ),
            }
        )
        # Read for the cache of the registry, not left in the transaction's (that the rule's run may not read).
        rule.invalidate_recordset()
        actions.invalidate_recordset()
        return setup

    @api.model
    @tools.ormcache("automation_ids", "lang")
    def _pr_names(self, automation_ids, lang):
        rules = self.sudo().with_context(lang=lang).browse(automation_ids)
        names = tuple(rules.mapped("name"))
        rules.invalidate_recordset()
        return names

    @api.model
    @tools.ormcache("action_ids", "lang")
    def _pr_action_texts(self, action_ids, lang):
        """``{field: [value of each action]}``: the translated texts of these actions in ``lang``."""
        actions = self.env["ir.actions.server"].sudo().with_context(lang=lang).browse(action_ids)
        names = [
            name
            for name, field in actions._fields.items()
            if field.store and field.column_type and field.prefetch is True and field.translate
        ]
        texts = {
            name: [field.convert_to_cache(action[name], action) for action in actions]
            for name, field in ((name, actions._fields[name]) for name in names)
        }
        actions.invalidate_recordset()
        return MappingProxyType(texts)

    def _pr_domain(self, kind):
        parsed = self._pr_setup(self.id)[kind]
        if parsed is None:
            return None
        text, domain = parsed
        if domain is not None:
            return list(domain)
        return safe_eval.safe_eval(text, self._get_eval_context())

    # ------------------------------------------------------------
    # RUNNING (same behaviour as base_automation, from the cached setup)
    # ------------------------------------------------------------

    def _get_actions(self, records, triggers):
        if "__action_done" not in self.env.context:
            self = self.with_context(__action_done={})  # noqa: PLW0642 - as base_automation does
        automations = self.browse(self._pr_automation_ids(records._name, tuple(triggers)))
        if automations:
            # base_automation logs each rule's name at debug level, reading it in every transaction
            names = self._pr_names(automations._ids, self.env.lang)
            self._fields["name"]._insert_cache(automations, names)
        return automations

    def _get_eval_context(self, payload=None):
        self.ensure_one()
        eval_context = {
            "datetime": safe_eval.datetime,
            "dateutil": safe_eval.dateutil,
            "time": safe_eval.time,
            "uid": self.env.uid,
            "user": self.env.user,
            "model": self.env[self._pr_setup(self.id)["model"]],
        }
        if payload is not None:
            eval_context["payload"] = payload
        return eval_context

    def _filter_pre(self, records, feedback=False):
        domain = self._pr_domain("pre") if records else None
        if domain is None:
            return records
        if feedback:
            records = records.with_context(__action_feedback=True)
        return _filtered(records, domain)

    def _filter_post_export_domain(self, records, feedback=False):
        # Only the records whose trigger fields were written can run the rule (_check_trigger_fields):
        # the filter is evaluated for them alone.
        triggers = self._pr_setup(self.id)["triggers"]
        old_values = self.env.context.get("old_values")
        if records and triggers and old_values is not None:
            records = records.filtered(lambda record: triggers & old_values.get(record.id, {}).keys())
        domain = self._pr_domain("post") if records else None
        if domain is None:
            return records, None
        if feedback:
            records = records.with_context(__action_feedback=True)
        return _filtered(records, domain), domain

    def _check_trigger_fields(self, record):
        triggers = self._pr_setup(self.id)["triggers"]
        old_values = self.env.context.get("old_values")
        if not triggers or old_values is None:
            return True
        old = old_values.get(record.id, {})
        return any(name in old and record[name] != old[name] for name in triggers)

    def _process(self, records, domain_post=None):
        """As base_automation processes a rule; the behaviour-recording actions together, from the cached setup."""
        if not records:
            return None
        setup = self._pr_setup(self.id)
        if not any(batched for _id, batched, _warning, _groups in setup["actions"]):
            self._pr_warm_actions(self.sudo().env["ir.actions.server"].browse([a[0] for a in setup["actions"]]), setup)
            return super()._process(records, domain_post=domain_post)
        automation = self
        automation_done = self.env.context.get("__action_done", {})
        records_done = automation_done.get(self, records.browse())
        records -= records_done
        if not records:
            return
        if self.env.context.get("__action_feedback"):
            automation_done[self] = records_done + records
        else:
            automation_done = dict(automation_done)
            automation_done[self] = records_done + records
            automation = self.with_context(__action_done=automation_done)
            records = records.with_context(__action_done=automation_done)
        records = records.filtered(automation._check_trigger_fields)
        automation_done[self] = records_done + records
        if not records:
            return
        if "date_automation_last" in records._fields:
            records.date_automation_last = self.env.cr.now()
        automation._pr_run_actions(records, domain_post)

    def _pr_run_actions(self, records, domain_post):
        """The rule's actions in their order, each on each record, as base_automation runs them.

        The actions that record a behaviour run at the first one's turn, together, on all the records
        (those restricted to groups, or with warnings, run as any other action, which checks them).
        What running an action reads of it (its warnings, groups and model) comes from the cached setup.
        """
        setup = self._pr_setup(self.id)
        actions = self.sudo().env["ir.actions.server"].browse([action_id for action_id, *_rest in setup["actions"]])
        self._pr_warm_actions(actions, setup)
        recorders = actions.browse(
            [action_id for action_id, batched, *_rest in setup["actions"] if batched == "record"]
        ).with_prefetch(actions._prefetch_ids)
        # When nothing else runs between them, the recorders read the open referrals of the records'
        # customers for the referral actions, in the statement of their filters.
        referrals = {}
        if recorders and all(batched for _id, batched, _warning, _groups in setup["actions"]):
            referrals = {
                action.id: None
                for action, (_id, batched, *_rest) in zip(actions, setup["actions"], strict=True)
                if batched == "referral"
            }
        recorded = False
        for action, (_id, batched, _warning, _groups) in zip(actions, setup["actions"], strict=True):
            try:
                if batched == "record" and not recorded:
                    recorders.with_context(active_model=records._name, domain_post=domain_post)._pr_record(
                        records.with_env(recorders.env), referrals=referrals
                    )
                    recorded = True
                elif batched == "referral":
                    action._pr_qualify_referrals(records.with_env(action.env), open_ids=referrals.get(action.id))
                elif not batched:
                    for record in records:
                        action.with_context(
                            active_model=record._name,
                            active_ids=record.ids,
                            active_id=record.id,
                            domain_post=domain_post,
                        ).run()
            except Exception as error:
                self._add_postmortem(error)
                raise

    def _pr_warm_actions(self, actions, setup):
        """Put what the setup knows of the rule's actions in the transaction's cache, where nothing is yet."""
        rule = self.sudo()
        rule._fields["action_server_ids"]._insert_cache(rule, [actions._ids])
        Action = actions.browse()
        Action._fields["warning"]._insert_cache(actions, [warning for _id, _rec, warning, _groups in setup["actions"]])
        Action._fields["group_ids"]._insert_cache(actions, [groups for _id, _rec, _warning, groups in setup["actions"]])
        model = self.env["ir.model"].browse(setup["model_id"])
        model._fields["model"]._insert_cache(model, [setup["model"]])
        for name, values in setup["columns"]:
            actions._fields[name]._insert_cache(actions, values)
        texts = self._pr_action_texts(actions._ids, self.env.lang)
        for name, values in texts.items():
            actions._fields[name]._insert_cache(actions.with_context(lang=self.env.lang), values)
        if setup["behaviors"]:
            behaviors = self.env["pr.behavior"].browse([behavior_id for behavior_id, _code in setup["behaviors"]])
            behaviors._fields["code"]._insert_cache(behaviors, [code for _id, code in setup["behaviors"]])
