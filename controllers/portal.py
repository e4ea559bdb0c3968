import uuid
from urllib.parse import quote, urlencode

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

MESSAGE_KEY = "pr_portal_message"
# Each paged table of My Rewards: its own page parameter, and the section its pager links back to.
PAGED_TABLES = {
    "history": ("history_page", "pr_history"),
    "redemption": ("redemption_page", "pr_redemptions"),
    "referral": ("referral_page", "pr_referral"),
    "coupon": ("coupon_page", "pr_coupons"),
}


def page_number(value):
    """A page number from the query string: anything but a positive whole number is the first page."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return 1
    return max(number, 1)


def rewards_pager(table, tables):
    """The values of ``portal.pager`` for one table: its links change its own page and keep the others'."""
    current, step, total = tables[table]["page"], tables[table]["step"], tables[table]["total"]
    page_count = max(1, -(-total // step))

    def url(number):
        args = {param: tables[name]["page"] for name, (param, _anchor) in PAGED_TABLES.items()}
        args[PAGED_TABLES[table][0]] = number
        query = urlencode({param: value for param, value in args.items() if value > 1})
        return f"/my/rewards{'?' + query if query else ''}#{PAGED_TABLES[table][1]}"

    if page_count <= 5:
        numbers = list(range(1, page_count + 1))
    elif current <= 3:
        numbers = [1, 2, 3, 4, "…", page_count]
    elif current >= page_count - 2:
        numbers = [1, "…", *range(page_count - 3, page_count + 1)]
    else:
        numbers = [1, "…", current - 1, current, current + 1, "…", page_count]

    def link(number):
        return {"num": number, "url": url(number)}

    return {
        "page_count": page_count,
        "offset": (current - 1) * step,
        "page": link(current),
        "page_first": link(1),
        "page_previous": link(max(1, current - 1)),
        "page_next": link(min(page_count, current + 1)),
        "page_last": link(page_count),
        "pages": [{"num": n, "url": url(n) if n != "…" else None, "is_current": n == current} for n in numbers],
    }


class RewardsPortal(CustomerPortal):
    """My Rewards: points, tier, history, the catalogue, coupons and referrals of the signed-in customer."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "pr_points" in counters:
            # The figures are hidden from portal users on contacts: their own are read for them.
            values["pr_points"] = request.env.user.partner_id.sudo().pr_points_available
        return values

    @http.route(["/my/rewards", "/my/rewards/page/<int:page>"], type="http", auth="user", methods=["GET"], website=True)
    def portal_my_rewards(self, page=1, **kwargs):
        """My Rewards; ``page`` (and ``/page/<n>``) is the history's page, as links made before each table paged."""
        pages = {table: page_number(kwargs.get(param, 1)) for table, (param, _anchor) in PAGED_TABLES.items()}
        if "history_page" not in kwargs:
            pages["history"] = page_number(page)
        values = self._prepare_portal_layout_values()
        values.update(request.env["pr.portal"]._page_values(pages))
        values.update(
            {
                "page_name": "rewards",
                "pagers": {table: rewards_pager(table, values["tables"]) for table in PAGED_TABLES},
                "form_token": uuid.uuid4().hex,
                "share_url": "https://wa.me/?text=" + quote(values["referral_url"] or ""),
                "message": request.session.pop(MESSAGE_KEY, None),
            }
        )
        return request.render("positive_reinforcement.portal_my_rewards", values)

    @http.route("/my/rewards/redeem", type="http", auth="user", methods=["POST"], website=True)
    def portal_rewards_redeem(self, reward_id="", token="", **kwargs):
        """Redeem from the catalogue; any other field posted (a partner, a quantity) is ignored."""
        if not str(reward_id).isdigit():
            raise request.not_found()
        try:
            redemption = request.env["pr.portal"]._redeem(int(reward_id), token)
        except (UserError, ValidationError) as error:
            return self._back(error.args[0], "danger")
        return self._back(request.env._("You redeemed %(reward)s.", reward=redemption.reward_id.name), "success")

    @http.route("/my/rewards/invite", type="http", auth="user", methods=["POST"], website=True)
    def portal_rewards_invite(self, name="", email="", **kwargs):
        try:
            request.env["pr.portal"]._invite(name, email)
        except (UserError, ValidationError) as error:
            return self._back(error.args[0], "danger")
        return self._back(request.env._("Your invitation is on its way."), "success")

    @http.route("/my/rewards/redemption/<int:redemption_id>", type="http", auth="user", methods=["GET"], website=True)
    def portal_rewards_redemption(self, redemption_id, **kwargs):
        """A redemption of the customer's own; anyone else's id is not found, not forbidden."""
        redemption = request.env["pr.portal"]._redemption(redemption_id)
        if not redemption:
            raise request.not_found()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "rewards",
                "redemption": redemption,
                "format_points": request.env["pr.portal"]._format_points,
            }
        )
        return request.render("positive_reinforcement.portal_my_redemption", values)

    @http.route("/my/rewards/leaderboard", type="http", auth="user", methods=["POST"], website=True)
    def portal_rewards_leaderboard(self, opt_in="", **kwargs):
        request.env["pr.portal"]._set_leaderboard(opt_in == "1")
        if opt_in == "1":
            return self._back(request.env._("You joined the leaderboard."), "success")
        return self._back(request.env._("You left the leaderboard."), "info")

    def _create_or_update_address(self, partner_sudo, **form_data):
        """My account also takes the customer's birth date: their own only, checked before anything is saved."""
        submitted = "pr_birth_date" in form_data
        value = form_data.pop("pr_birth_date", "")
        if not submitted or not partner_sudo or partner_sudo != request.env.user.partner_id:
            return super()._create_or_update_address(partner_sudo, **form_data)
        birth_date, error = self._pr_parse_birth_date(value)
        if error:
            return partner_sudo, {"invalid_fields": ["pr_birth_date"], "messages": [error]}
        partner_sudo, feedback = super()._create_or_update_address(partner_sudo, **form_data)
        if "invalid_fields" not in feedback and partner_sudo.pr_birth_date != birth_date:
            partner_sudo.write({"pr_birth_date": birth_date})
        return partner_sudo, feedback

    def _pr_parse_birth_date(self, value):
        """``(date or False, error message or None)`` of a birth date typed in the portal (``YYYY-MM-DD``)."""
        value = (value or "").strip()
        if not value:
            return False, None
        try:
            birth_date = fields.Date.to_date(value)
        except ValueError:
            birth_date = None
        if not birth_date or birth_date.year < 1900:
            return False, request.env._("Please enter a valid birth date.")
        if birth_date > fields.Date.context_today(request.env.user):
            return False, request.env._("A birth date cannot be in the future.")
        return birth_date, None

    def _back(self, text, level):
        request.session[MESSAGE_KEY] = {"text": text, "level": level}
        return request.redirect("/my/rewards")
