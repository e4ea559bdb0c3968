import threading
import uuid
from functools import partial

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.service.model import retrying


def _two_gifts_and_two_managers(env_factory, budget=100.0, value=60.0):
    """A committed company with a monthly gift budget, two proposals that together exceed it, two managers."""
    tag = uuid.uuid4().hex[:8]
    with env_factory() as env:
        company = env["res.company"].create({"name": f"Gift budget {tag}", "pr_surprise_budget": budget})
        customer = env["res.partner"].create({"name": f"Gift customer {tag}", "company_id": company.id})
        managers = env["res.users"].create(
            [
                {
                    "name": f"Gift manager {tag} {i}",
                    "login": f"gift_manager_{tag}_{i}",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "group_ids": [
                        Command.link(env.ref("positive_reinforcement.positive_reinforcement_group_manager").id)
                    ],
                }
                for i in range(2)
            ]
        )
        gifts = env["pr.surprise.gift"].create(
            [
                {"name": f"Hamper {i}", "partner_id": customer.id, "company_id": company.id, "value": value}
                for i in range(2)
            ]
        )
        return company.id, managers.ids, gifts.ids


def _approve(env, manager_id, gift_id):
    return env["pr.surprise.gift"].with_user(manager_id).browse(gift_id).action_approve()


def _approved(env_factory, gift_ids):
    with env_factory() as env:
        return env["pr.surprise.gift"].browse(gift_ids).mapped("state")


def test_two_managers_approving_at_once_keep_the_monthly_budget(env_factory):
    # The first manager approves and keeps their transaction open; the second approves meanwhile.
    # Each gift alone fits the budget: without a lock the second one would read the budget as it
    # was before the first approval and approve too.
    company_id, (first_manager, second_manager), (first_gift, second_gift) = _two_gifts_and_two_managers(env_factory)
    first_approved, outcome = threading.Event(), {}

    def first():
        with env_factory() as env:
            env["res.company"].browse(company_id).mapped("name")  # the transaction reads before approving
            _approve(env, first_manager, first_gift)
            first_approved.set()
            threading.Event().wait(1.0)  # keep the transaction open while the second manager approves
        outcome["first"] = "approved"

    def second():
        try:
            with env_factory() as env:
                env["res.company"].browse(company_id).mapped("name")  # its snapshot predates the first commit
                first_approved.wait(10)
                retrying(partial(_approve, env, second_manager, second_gift), env)
            outcome["second"] = "approved"
        except UserError as error:
            outcome["second"] = str(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcome["first"] == "approved", outcome
    assert "budget" in outcome["second"], outcome
    assert _approved(env_factory, [first_gift, second_gift]) == ["approved", "proposed"]


def test_two_managers_racing_exactly_one_approval_fits(env_factory):
    company_id, managers, gifts = _two_gifts_and_two_managers(env_factory)
    barrier, outcomes = threading.Barrier(2), []

    def approve(manager_id, gift_id):
        try:
            with env_factory() as env:
                env["res.company"].browse(company_id).mapped("name")
                barrier.wait(10)
                retrying(partial(_approve, env, manager_id, gift_id), env)
            outcomes.append("approved")
        except UserError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(managers, gifts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2 and outcomes.count("approved") == 1, outcomes
    assert sorted(_approved(env_factory, gifts)) == ["approved", "proposed"]
    with env_factory() as env:
        assert env["res.company"].browse(company_id)._pr_surprise_budget_left() == 40.0
