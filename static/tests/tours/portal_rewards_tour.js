import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("pr_portal_rewards", {
    steps: () => [
        {
            content: "The portal home links to My Rewards",
            trigger: "a[href='/my/rewards']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The customer sees their points and tier",
            trigger: ".o_pr_available:contains(500)",
        },
        { trigger: ".o_pr_tier:contains(Portal Silver)" },
        {
            content: "The customer redeems the mug",
            trigger: ".o_pr_reward_card:contains(Portal mug) button:contains(Redeem)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The redemption is confirmed and the points are debited",
            trigger: ".alert-success:contains(You redeemed Portal mug)",
        },
        { trigger: ".o_pr_available:contains(300)" },
        {
            content: "The debit is in the history",
            trigger: ".o_pr_history_line:contains(Portal mug):contains(-200)",
        },
    ],
});
