"""Demo data generators, called from the demo XML files through thin model methods."""

import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields

from .pr_i18n import _lt


def record_events(model, partner_ids):
    """Social media, reviews and feedback of the last months for the demo customers, processed."""
    behaviors = model.env["pr.behavior"]._by_code(["social_media", "review", "feedback"])
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
    events = model._record(values)
    events._pr_process()
    # One still waiting for the processing cron.
    model._record(
        [
            {
                "partner_id": partner_ids[0],
                "behavior_id": behaviors["social_media"].id,
                "date": now - timedelta(days=1),
                "idempotency_key": "demo:pending-social",
            }
        ]
    )


def post_history(model, partner_ids, months=18, seed=19):
    """Post a deterministic, realistic 18-month history for the demo customers.

    Each customer has a purchase rhythm; purchases earn points, some are partly returned (a
    reversal), points are redeemed now and then, a manager grants a goodwill adjustment, the
    latest purchases are still pending, and what is older than the validity expires.
    """
    rng = random.Random(seed)
    now = fields.Datetime.now()
    partners = model.env["res.partner"].browse(partner_ids)
    rhythm = {partner: rng.uniform(0.35, 0.95) for partner in partners}
    for month in range(months, 0, -1):
        day = now - relativedelta(months=month, days=rng.randint(0, 20))
        entries = model._post_movements(
            [
                {
                    "partner_id": partner.id,
                    "kind": "earn",
                    "points": rng.randrange(40, 520, 10),
                    "date": day,
                    "reason": _lt("Purchase"),
                    "idempotency_key": f"demo:earn:{partner.id}:{month}",
                }
                for partner in partners
                if rng.random() < rhythm[partner]
            ]
        )
        model._post_movements(
            [
                {
                    "reversed_entry_id": entry.id,
                    "points": -(entry.points // 2),
                    "date": day + timedelta(days=9),
                    "reason": _lt("Partial return"),
                    "idempotency_key": f"demo:return:{entry.id}",
                }
                for entry in entries
                if rng.random() < 0.08
            ]
        )
        members = model.env["pr.member"].search([("partner_id", "in", partners.commercial_partner_id.ids)])
        model._post_movements(
            [
                {
                    "member_id": member.id,
                    "kind": "redeem",
                    "points": -(member.points_available // 200 * 100),
                    "date": day + timedelta(days=12),
                    "reason": _lt("Discount coupon"),
                    "idempotency_key": f"demo:redeem:{member.id}:{month}",
                }
                for member in members
                if member.points_available >= 400 and rng.random() < 0.3
            ]
        )
    model._post_movements(
        [
            {
                "partner_id": partners[0].id,
                "kind": "adjust",
                "points": 150,
                "reason": _lt("Goodwill gesture after a late delivery"),
                "idempotency_key": "demo:goodwill",
            },
            *[
                {
                    "partner_id": partner.id,
                    "kind": "earn",
                    "points": rng.randrange(60, 300, 10),
                    "release_date": model.env.company._pr_today() + timedelta(days=14),
                    "reason": _lt("Purchase"),
                    "idempotency_key": f"demo:recent:{partner.id}",
                }
                for partner in partners[:4]
            ],
        ]
    )
    model.env["pr.member"].search([("partner_id", "in", partners.commercial_partner_id.ids)])._pr_expire_points()


def record_feedback(model, partner_ids):
    """NPS and CSAT answers of the demo customers, spread over the last months."""
    now = fields.Datetime.now()
    nps = [10, 9, 7, 9, 4, 10, 8, 6, 9, 10, 3, 9]
    csat = [5, 4, 5, 3, 1, 5, 4, 2]
    comments = {
        ("nps", 10): "The best coffee in town, and the team knows my order by heart.",
        ("nps", 4): "The beans arrived two weeks late, twice.",
        ("nps", 3): "Nobody answered my emails about a broken grinder.",
        ("csat", 1): "The delivery was damaged and the refund took a month.",
        ("csat", 2): "Long wait at the counter.",
    }
    vals_list = [
        {
            "contact_id": partner_id,
            "company_id": model.env.company.id,
            "metric": metric,
            "score": scores[(index + offset) % len(scores)],
            "date": now - timedelta(days=9 + 23 * offset + 3 * index),
            "comment": comments.get((metric, scores[(index + offset) % len(scores)])),
            "source_model": "pr.feedback.demo",
            "source_id": 100 * offset + index,
        }
        for index, partner_id in enumerate(partner_ids)
        for metric, scores in (("nps", nps), ("csat", csat))
        for offset in range(4)
    ]
    return model._record(vals_list)
