import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("pr_referral_signup", {
    steps: () => [
        {
            content: "The landing page of the referral link invites the visitor",
            trigger: "h1:contains(A friend thought you would like us)",
        },
        {
            content: "The visitor chooses to create an account",
            trigger: "a.pr_signup_link",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: "input[name=login]", run: "edit vera.visitor@example.com" },
        { trigger: "input[name=name]", run: "edit Vera Visitor" },
        { trigger: "input[name=password]", run: "edit Vera-Passw0rd-2026" },
        { trigger: "input[name=confirm_password]", run: "edit Vera-Passw0rd-2026" },
        {
            content: "Sign up",
            trigger: "button[type=submit]:contains(Sign up)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The new customer is signed in",
            trigger: "a[href*='/my/account']:contains(Edit information)",
        },
    ],
});
