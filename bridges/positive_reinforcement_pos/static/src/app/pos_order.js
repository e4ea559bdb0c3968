import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";

// The most points the points program's reward may spend while its line is computed (see
// _getRewardLineValuesDiscount); the server checks the same limits when the order is paid.
let pointsCap = null;

patch(PosOrder.prototype, {
    /**
     * How many points the selected customer may spend on this order from the card `couponId`, and why
     * none (the manager's limits: tiers allowed, minimum points, maximum share of the order).
     */
    prCheckoutPoints(couponId) {
        const settings = this.company.pr_pos_checkout || {};
        const partner = this.getPartner();
        if (!settings.enabled || !partner) {
            return { points: 0, refusal: _t("Choose the customer who pays with points.") };
        }
        if (settings.tier_ids.length && !settings.tier_ids.includes(partner.pr_pos_tier_ref)) {
            return {
                points: 0,
                refusal: _t("Paying with points is for %(tiers)s customers; %(customer)s is not one yet.", {
                    tiers: settings.tier_names,
                    customer: partner.name,
                }),
            };
        }
        const available = Math.floor(this._getRealCouponPoints(couponId) + 1e-6);
        if (available < settings.min_points) {
            return {
                points: 0,
                refusal: _t(
                    "Paying with points needs at least %(minimum)s available points; %(customer)s has %(available)s.",
                    { minimum: settings.min_points, customer: partner.name, available }
                ),
            };
        }
        const total = this.getOrderlines()
            .filter((line) => !line.reward_id?.program_id?.pr_is_mirror)
            .reduce((sum, line) => sum + line.prices.total_included, 0);
        const cap =
            total > 0
                ? Math.floor((total * settings.max_share) / 100 / settings.point_value + 1e-6)
                : 0;
        if (cap < settings.min_points) {
            return {
                points: 0,
                refusal: _t(
                    "Points can pay at most %(share)s of this order, less than the minimum of %(minimum)s points.",
                    { share: `${settings.max_share}%`, minimum: settings.min_points }
                ),
            };
        }
        return { points: Math.min(available, cap), refusal: false };
    },
    _programIsApplicable(program) {
        // The points program has no rules of its own (the ledger gives the points): it applies to every
        // order of a customer, when paying with points is enabled.
        if (program.pr_is_mirror) {
            return Boolean(this.getPartner() && this.company.pr_pos_checkout?.enabled);
        }
        return super._programIsApplicable(...arguments);
    },
    getClaimableRewards(coupon_id = false, program_id = false, auto = false) {
        return super
            .getClaimableRewards(...arguments)
            .filter(
                ({ coupon_id, reward }) =>
                    !reward.program_id.pr_is_mirror || !this.prCheckoutPoints(coupon_id).refusal
            );
    },
    _applyReward(reward, coupon_id, args) {
        if (reward.program_id.pr_is_mirror) {
            const { refusal } = this.prCheckoutPoints(coupon_id);
            if (refusal) {
                return refusal;
            }
        }
        return super._applyReward(...arguments);
    },
    _getRewardLineValuesDiscount(args) {
        if (!args.reward.program_id.pr_is_mirror) {
            return super._getRewardLineValuesDiscount(...arguments);
        }
        const { points, refusal } = this.prCheckoutPoints(args.coupon_id);
        if (refusal) {
            return refusal;
        }
        pointsCap = { couponId: args.coupon_id, points };
        try {
            const lines = super._getRewardLineValuesDiscount(...arguments);
            // The ledger counts whole points.
            for (const line of Array.isArray(lines) ? lines : []) {
                line.points_cost = Math.round(line.points_cost);
            }
            return lines;
        } finally {
            pointsCap = null;
        }
    },
    _getRealCouponPoints(coupon_id) {
        const points = super._getRealCouponPoints(...arguments);
        return pointsCap && pointsCap.couponId === coupon_id ? Math.min(points, pointsCap.points) : points;
    },
    /** The selected customer's tier and available points, as the till shows them. */
    prLoyaltySummary() {
        const partner = this.getPartner();
        if (!partner || !this.company.pr_pos_checkout?.enabled) {
            return false;
        }
        const card = this.models["loyalty.card"].find(
            (card) => card.program_id?.pr_is_mirror && card.partner_id?.id === partner.pr_pos_holder_ref
        );
        return {
            tier: partner.pr_pos_tier_name || "",
            points: card ? card.points : partner.pr_pos_points,
        };
    },
});
