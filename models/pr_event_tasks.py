"""The tasks people do when a rule grants points: the rule's activity, a thank-you note, a gift to propose."""

from collections import defaultdict
from datetime import timedelta

from odoo import fields

from .pr_i18n import env_in, reader_lang


def schedule_tasks(env, rule_records, decisions):
    """Create the activities and gift proposals of the granted ``decisions``, in a constant number of queries.

    Each goes to whoever looks after the customer (``res.company._pr_task_users``), never to the user the
    engine runs as: from the cron, that is OdooBot, whom nobody reads.

    :param rule_records: ``{rule id: pr.reward.rule}`` of the decisions' rules
    """
    granted = [
        decision
        for decision in decisions
        if decision["outcome"] == "granted"
        and (decision["rule"]["activity"] or rule_records[decision["rule"]["id"]].personal_touch != "none")
    ]
    if not granted:
        return
    users = _task_users(env, granted)
    today = fields.Date.context_today(env["pr.event"])
    model_id = env["ir.model"]._get_id("res.partner")
    note_type = env.ref("positive_reinforcement.mail_activity_type_pr_thank_you_note")
    activities, gifts = [], []
    speaking = _Languages(env, users.values(), [decision["event"]["holder_id"] for decision in granted])
    for decision in granted:
        event = decision["event"]
        holder_id, user = event["holder_id"], users[event["company_id"], event["holder_id"]]
        user_id = user.id
        # The task in the words of whoever does it; what is written for the customer, in theirs.
        rule = speaking.for_user(user, event["company_id"], rule_records[decision["rule"]["id"]])
        to_customer = speaking.for_customer(holder_id, rule)
        activity_type = decision["rule"]["activity"]
        task = {"res_model_id": model_id, "res_id": holder_id, "user_id": user_id}
        if activity_type:
            activities.append(
                {
                    **task,
                    "activity_type_id": activity_type.id,
                    "summary": rule.activity_summary or rule.name,
                    "note": rule.activity_note,
                    "date_deadline": today + timedelta(days=activity_type.delay_count or 0),
                }
            )
        if rule.personal_touch == "note":
            activities.append(
                {
                    **task,
                    "activity_type_id": note_type.id,
                    "summary": rule.env._("Thank-you note: %(reason)s", reason=rule.name),
                    "note": to_customer.personal_message,
                    "date_deadline": today + timedelta(days=note_type.delay_count or 0),
                }
            )
        elif rule.personal_touch != "none":
            gifts.append(
                {
                    "name": rule.gift_name or rule.name,
                    "partner_id": holder_id,
                    "company_id": event["company_id"],
                    "user_id": user_id,
                    "value": rule.gift_value,
                    "message": to_customer.personal_message,
                    "reason": rule.name,
                    "origin": "rule",
                    "rule_id": rule.id,
                }
            )
    if activities:
        env["mail.activity"].sudo().create(activities)
    if gifts:
        env["pr.surprise.gift"].sudo().create(gifts)


class _Languages:
    """Records in the language of whoever reads them, with one environment per language."""

    def __init__(self, env, users, customer_ids):
        self.env = env
        self.envs = {}
        self.user_langs = {}
        # Read once for all: the users' and the customers' languages.
        env["res.users"].union(*users).sudo().mapped("lang")
        customers = env["res.partner"].sudo().browse(sorted(set(customer_ids)))
        self.customer_langs = dict(zip(customers.ids, customers.mapped("lang"), strict=True))

    def _in(self, lang, record):
        key = (lang, record.env.su)
        if key not in self.envs:
            self.envs[key] = env_in(record.env, lang)
        return record.with_env(self.envs[key])

    def for_user(self, user, company_id, record):
        key = (user.id, company_id)
        if key not in self.user_langs:
            self.user_langs[key] = reader_lang(self.env, user, self.env["res.company"].browse(company_id))
        return self._in(self.user_langs[key], record)

    def for_customer(self, partner_id, record):
        return self._in(self.customer_langs.get(partner_id) or "en_US", record)


def _task_users(env, decisions):
    """``{(company id, holder id): user}`` for the customers of ``decisions``, one look-up per company."""
    holders = defaultdict(set)
    for decision in decisions:
        holders[decision["event"]["company_id"]].add(decision["event"]["holder_id"])
    users = {}
    for company_id, holder_ids in holders.items():
        company = env["res.company"].sudo().browse(company_id)
        for partner, user in company._pr_task_users(env["res.partner"].browse(holder_ids)).items():
            users[company_id, partner.id] = user
    return users
