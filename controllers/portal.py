import uuid
from urllib.parse import quote

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

MESSAGE_KEY = "pr_portal_message"


class RewardsPortal(CustomerPortal):
    """My Rewards: points, tier, history, the catalogue, coupons and referrals of the signed-in customer."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "pr_points" in counters:
            values["pr_points"] = request.env.user.partner_id.pr_points_available
        return values

    @http.route(["/my/rewards", "/my/rewards/page/<int:page>"], type="http", auth="user", methods=["GET"], website=True)
    def portal_my_rewards(self, page=1, **kwargs):
        values = self._prepare_portal_layout_values()
        values.update(request.env["pr.portal"]._page_values(page))
        values.update(
            {
                "page_name": "rewards",
                "pager": portal_pager(
                    url="/my/rewards",
                    total=values["ledger_count"],
                    page=values["ledger_page"],
                    step=values["ledger_step"],
                ),
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
        values.update({"page_name": "rewards", "redemption": redemption})
        return request.render("positive_reinforcement.portal_my_redemption", values)

    @http.route("/my/rewards/leaderboard", type="http", auth="user", methods=["POST"], website=True)
    def portal_rewards_leaderboard(self, opt_in="", **kwargs):
        request.env["pr.portal"]._set_leaderboard(opt_in == "1")
        if opt_in == "1":
            return self._back(request.env._("You joined the leaderboard."), "success")
        return self._back(request.env._("You left the leaderboard."), "info")

    def _back(self, text, level):
        request.session[MESSAGE_KEY] = {"text": text, "level": level}
        return request.redirect("/my/rewards")
