"""Who may turn on what pays customers: the checks shared by the models the addon extends."""

from odoo.exceptions import AccessError

PR_USER = "positive_reinforcement.positive_reinforcement_group_user"
PR_MANAGER = "positive_reinforcement.positive_reinforcement_group_manager"


def check_reward_switch(records, vals_list, fname, group, refusal):
    """Refuse, to anyone outside ``group``, a change of ``fname``: a switch that makes customers earn points.

    Survey officers edit surveys and answers, but what pays a customer is the program's to decide.
    Writing the value a record already has changes nothing and is let through (an import of unchanged rows).

    :param refusal: ``env -> message`` of the ``AccessError``
    """
    wanted = {bool(vals[fname]) for vals in vals_list if fname in vals}
    if not wanted or records.env.su:
        return
    if records:  # write
        changes = any(record[fname] != value for record in records for value in wanted)
    else:  # create
        changes = True in wanted
    if changes and not records.env.user.has_group(group):
        raise AccessError(refusal(records.env))
