import { PosStore } from "@point_of_sale/app/services/pos_store";
import { patch } from "@web/core/utils/patch";

patch(PosStore.prototype, {
    /** The card of the points program is the points holder's (the commercial entity, or the contact). */
    async fetchLoyaltyCard(programId, partnerId) {
        const program = this.models["loyalty.program"].get(programId);
        const partner = this.models["res.partner"].get(partnerId);
        if (program?.pr_is_mirror && partner?.pr_pos_holder_ref) {
            partnerId = partner.pr_pos_holder_ref;
        }
        return super.fetchLoyaltyCard(programId, partnerId);
    },
});
