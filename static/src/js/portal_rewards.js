/** @odoo-module **/
// "My Rewards": copy the referral link, or share it with the device's own share sheet.

document.addEventListener("click", async (ev) => {
    const copy = ev.target.closest(".o_pr_copy_link");
    if (copy) {
        ev.preventDefault();
        await navigator.clipboard.writeText(copy.dataset.link);
        copy.querySelector(".o_pr_copied")?.classList.remove("d-none");
        return;
    }
    const share = ev.target.closest(".o_pr_share_link");
    if (share && navigator.share) {
        ev.preventDefault();
        await navigator.share({ title: share.dataset.title, url: share.dataset.link }).catch(() => {});
    }
});
