"""Words for the machine names the services use (badges, statuses, audit actions, errors)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guestlist.core.errors import ServiceError

INVITE_BADGES: dict[str, Promise] = {
    "active": _("Active"),
    "redeemed": _("Redeemed"),
    "expired": _("Expired"),
    "used_up": _("Used up"),
    "disabled": _("Disabled"),
}

INVITE_FILTERS: dict[str, Promise] = {"all": _("All"), **INVITE_BADGES}

MEMBER_STATUSES: dict[str, Promise] = {
    "pending": _("Pending"),
    "active": _("Active"),
    "removing": _("Removing"),
    "expired": _("Expired"),
    "removed": _("Removed"),
    "expiring": _("Expiring soon"),
    "unlinked": _("Plex not linked yet"),
    "trial": _("Trial"),
    "changing": _("Changing…"),
    "differs": _("Changed in Plex"),
    "suspending": _("Suspending"),
    "suspended": _("Suspended"),
}

PERMISSIONS: dict[str, Promise] = {
    "manage_users": _("Manage Users"),
    "manage_invites": _("Manage Invites"),
    "advanced_invites": _("Advanced Invites"),
    "create_invites": _("Create Invites"),
    "view_invites": _("View Invites"),
}

# The members list's tabs: "live" is everyone with access (pending or active).
MEMBER_FILTERS: dict[str, Promise] = {
    "all": _("All"),
    "live": _("Active"),
    "expiring": _("Expiring within 7 days"),
    "expired": _("Expired"),
    "suspended": _("Suspended"),
    "removed": _("Removed"),
}

# What ending a member's access does (the owner's setting, and a member's own choice).
ACCESS_END_CHOICES: dict[str, Promise] = {
    "remove": _("Remove their access"),
    "suspend": _("Suspend: keep their share with only the suspension library"),
}

REDEMPTION_METHODS: dict[str, Promise] = {
    "email": _("E-mail"),
    "oauth": _("Plex sign-in"),
    "local": _("Local account"),
    "import": _("Imported"),
}
REDEMPTION_STATES: dict[str, Promise] = {"pending": _("In progress"), "done": _("Done"), "failed": _("Failed")}

PLEX_OPERATIONS: dict[str, Promise] = {
    "share": _("Share the server"),
    "home_invite": _("Invite to Plex Home"),
    "accept": _("Accept the invite"),
    "update_share": _("Change access"),
    "remove": _("Remove access"),
    "suspend": _("Suspend access"),
    "restore": _("Restore access"),
}

PLEX_OPERATION_STATES: dict[str, Promise] = {
    "queued": _("Waiting"),
    "done": _("Done"),
    "failed": _("Failed"),
    "cancelled": _("Cancelled"),
}

ACTOR_KINDS: dict[str, Promise] = {
    "admin": _("Admin"),
    "api_key": _("API key"),
    "member": _("Member"),
    "redeemer": _("Redeemer"),
    "job": _("Background job"),
    "system": _("System"),
}

AUDIT_ACTIONS: dict[str, Promise] = {
    "admin.create": _("Admin added"),
    "admin.remove": _("Admin removed"),
    "apikey.create": _("API key created"),
    "apikey.revoke": _("API key revoked"),
    "invite.create": _("Invite created"),
    "invite.bulk_create": _("Invites created in bulk"),
    "invite.update": _("Invite changed"),
    "invite.delete": _("Invite deleted"),
    "invite.redeem": _("Invite redeemed"),
    "invite.redeem_part_failed": _("One server of a redemption refused"),
    "template.create": _("Template created"),
    "template.update": _("Template changed"),
    "template.delete": _("Template deleted"),
    "member.expiry": _("Expiry changed"),
    "member.change_access": _("Access changed"),
    "member.access_change_requested": _("Access change asked of Plex"),
    "member.access_changed": _("Access changed (confirmed by Plex)"),
    "member.access_differs": _("Access found changed in Plex itself"),
    "member.plex_access_kept": _("Plex's access kept"),
    "plex.update_share_failed": _("Plex refused an access change"),
    "member.refresh": _("Refreshed from Plex"),
    "member.remove_requested": _("Removal requested"),
    "member.removed": _("Access removed"),
    "member.expired": _("Membership expired"),
    "member.removed_in_plex": _("Removed in Plex"),
    "member.import": _("Imported from Plex"),
    "member.suspend_requested": _("Suspension requested"),
    "member.suspended": _("Access suspended"),
    "member.suspend_skipped": _("Removed instead of suspended"),
    "member.suspend_failed": _("Suspending failed, removed instead"),
    "member.suspension_called_off": _("Suspension called off"),
    "member.restore_requested": _("Restore requested"),
    "member.restored": _("Access restored"),
    "member.access_end": _("End of access changed"),
    "member.account_created": _("Member account created"),
    "member.sign_in": _("Member signed in"),
    "admin.sign_in": _("Admin signed in"),
    "admin.second_factor": _("Admin confirmed a second factor"),
    "admin.sign_in_refused": _("Single sign-on refused"),
    "admin.sign_in_locked": _("Sign-in locked after failed attempts"),
    "admin.totp_added": _("Authenticator app set up"),
    "admin.totp_removed": _("Authenticator app removed"),
    "admin.passkey_added": _("Passkey added"),
    "admin.passkey_renamed": _("Passkey renamed"),
    "admin.passkey_removed": _("Passkey removed"),
    "admin.recovery_codes_renewed": _("New recovery codes made"),
    "admin.password_changed": _("Password changed"),
    "admin.password_reset": _("Password reset from the command line"),
    "admin.second_factor_reset": _("Second factors reset from the command line"),
    "admin.oidc_linked": _("Single sign-on account linked"),
    "settings.sign_in": _("Sign-in settings changed"),
    "member.plex_linked": _("Plex account linked"),
    "member.permissions": _("Permissions changed"),
    "member.quota": _("Invite quota changed"),
    "member.trial_extension_requested": _("Trial extension requested"),
    "member.trial_extension_approved": _("Trial extension approved"),
    "member.trial_extension_denied": _("Trial extension denied"),
    "member.trial_extended": _("Trial extended"),
    "member.trial_ended_early": _("Trial ended early"),
    "member.trial_promoted": _("Trial ended: promoted"),
    "member.trial_ended": _("Trial ended: deactivated"),
    "server.connect": _("Server connected"),
    "server.update": _("Server reconnected"),
    "server.libraries_refresh": _("Libraries refreshed"),
    "server.default_libraries": _("Default libraries changed"),
    "settings.update": _("Settings changed"),
    "transfer.import": _("Data imported"),
    "transfer.export": _("Data exported"),
    "transfer.members_csv": _("Members downloaded as CSV"),
    "member.erased": _("Personal data erased"),
    "member.inactive_warning": _("Warned for inactivity"),
    "member.inactivity_exempt": _("Inactivity exemption changed"),
    "settings.tautulli": _("Tautulli connection changed"),
    "inactivity.run": _("Inactivity rule applied by hand"),
    "invite_request.create": _("Invite requested"),
    "invite_request.approve": _("Invite request approved"),
    "invite_request.decline": _("Invite request declined"),
    "invite_request.erased": _("Invite requests erased"),
    "invite_request.settings": _("Invite request settings changed"),
}

REQUEST_STATUSES: dict[str, Promise] = {
    "pending": _("Waiting"),
    "approved": _("Approved"),
    "declined": _("Declined"),
}
REQUEST_FILTERS: dict[str, Promise] = {
    "pending": _("Waiting"),
    "approved": _("Approved"),
    "declined": _("Declined"),
    "all": _("All"),
}

EVENT_LABELS: dict[str, Promise] = {
    "invite.created": _("Invite created"),
    "invite.redeemed": _("Invite redeemed"),
    "invite.redemption_failed": _("Redemption failed (Plex refused)"),
    "member.joined": _("Member joined (Plex confirmed the share)"),
    "member.expiring_soon": _("Member's access ends soon"),
    "member.expired": _("Member's access expired"),
    "member.removed": _("Member removed by an admin"),
    "member.removed_in_plex": _("Member removed in Plex"),
    "member.reinvite_requested": _("Former member asks for a new invite"),
    "member.inactive_warning": _("Member warned for not watching"),
    "member.removed_inactive": _("Member removed for not watching"),
    "member.suspended": _("Member suspended (access ended, share kept)"),
    "member.restored": _("Suspended member restored"),
    "trial.ended": _("Trial ended"),
    "trial.extension_requested": _("Trial extension requested"),
    "invite_request.created": _("Someone asks for an invite"),
    "invite_request.approved": _("Invite request approved"),
    "invite_request.declined": _("Invite request declined"),
    "plex.unreachable": _("Plex server unreachable"),
    "plex.reachable": _("Plex server reachable again"),
    "plex.token_rejected": _("Plex token rejected"),
    "admin.sign_in_locked": _("An admin sign-in was locked after failed attempts"),
    "test": _("Test message"),
}

DESTINATION_KINDS: dict[str, Promise] = {"apprise": _("Apprise"), "webhook": _("Webhook"), "email": _("E-mail")}

DELIVERY_STATES: dict[str, Promise] = {"pending": _("Waiting"), "succeeded": _("Sent"), "failed": _("Failed")}

MAIL_KINDS: dict[str, Promise] = {
    "invite": _("Invite mail"),
    "welcome": _("Welcome mail"),
    "expiry_reminder": _("Expiry reminder"),
    "ended": _("Access ended mail"),
    "inactive_warning": _("Inactivity warning"),
    "request_received": _("Invite request received"),
    "request_approved": _("Invite request approved"),
    "request_declined": _("Invite request declined"),
    "test": _("Test mail"),
}

JOB_NAMES: dict[str, Promise] = {
    "housekeeping": _("Housekeeping"),
    "sync": _("Sync with Plex"),
    "expiry": _("Expire memberships"),
    "trials": _("End trials"),
    "plex_operations": _("Plex work queue"),
    "deliveries": _("Notifications and mail"),
    "backup": _("Backup"),
    "inactivity": _("Inactivity rule"),
}

# What the owner reads when a service refuses, by the contract's error code. Codes not
# listed fall back to the service's own (English) sentence.
ERRORS: dict[str, Promise] = {
    "no_server": _("Connect your Plex server first: imported members are checked against its users."),
    "member_active": _(
        "Only a member whose access is over (removed or expired) can be erased; remove their access first."
    ),
    "already_erased": _("This member's personal data is already erased."),
    "request_decided": _("This request was already answered."),
    "requests_closed": _("Invite requests are closed."),
    "not_configured": _("Connect a Plex server first (Settings → Reconnect Plex)."),
    "smtp_not_configured": _("Set up the SMTP server in Settings → Notifications first."),
    "code_taken": _("That code is already taken; pick another one."),
    "invite_has_members": _("Members joined through this invite; confirm to delete it anyway."),
    "plex_unavailable": _("Plex is not answering right now; try again in a moment."),
    "plex_refused": _("Plex refused this."),
    "plex_pass_required": _("Plex requires an active Plex Pass on the server owner's account for this."),
    "already_member": _("This person already has access."),
    "owner_account": _("The owner cannot be removed."),
    "own_account": _("You cannot remove your own account."),
    "username_taken": _("That username is already taken."),
    "template_name_taken": _("A template with this name already exists."),
    "step_set_name_taken": _("A step set with this name already exists."),
    "default_step_set": _("The default steps cannot be deleted; reset them instead."),
    "too_many_steps": _("A group holds at most 20 steps."),
    "acceptance_required": _("Accept the steps that ask for it first."),
    "not_active": _("Only members with access can have it changed."),
    "no_difference": _("Plex and Guestlist agree on this member's access."),
    "pin_expired": _("The Plex sign-in expired; start again."),
    "pin_waiting": _("Plex has not confirmed the sign-in yet; finish signing in first."),
    "server_unreachable": _(
        "Guestlist could not reach the server at any of its addresses; enter an address it can reach."
    ),
    "no_address": _("plex.tv knows no address for this server; enter its address by hand."),
    "not_found": _("It is gone; reload the page."),
}

# The member area's refusals (the same codes in the API, contract.md "Members' own area").
MEMBER_ERRORS: dict[str, Promise] = {
    "permission_denied": _("You do not have the permission for this."),
    "advanced_invites_required": _("Only members with Advanced Invites can choose these settings."),
    "field_not_allowed": _("Some of these settings are the owner's to choose."),
    "owner_only": _("Only the server's owner can do this."),
    "trial_member": _("Members in their trial period cannot create invites yet."),
    "quota_exceeded": _("You have used all your invites for now."),
    "invite_used": _("Someone joined through this invite, so it stays."),
    "extension_pending": _("Your request is waiting for an answer already."),
    "not_in_trial": _("There is no trial period running."),
    "no_extension_request": _("There is no open extension request."),
    "own_membership": _("You cannot change your own membership."),
    "not_a_member": _("This account has no membership here any more."),
    "email_mismatch": _("Sign in with the Plex account that uses your e-mail address."),
    "email_unconfirmed": _(
        "Plex has not confirmed this account's e-mail address yet. Follow the link in the e-mail from Plex "
        "(or confirm the address in your Plex account settings), then sign in again."
    ),
    "already_linked": _("Your Plex account is linked already."),
    "owner_account": _("This is the server owner's own Plex account."),
    "local_accounts_disabled": _("Local accounts are switched off."),
    "rate_limited": _("Too many requests; wait a little and try again."),
}

# A refusal about one field ("invalid" with details naming it) that the forms cannot catch
# before the service sees the data.
FIELD_ERRORS: dict[str, Promise] = {
    "usage_limit": _("The usage limit cannot be lower than the uses already made."),
    "code": _("A custom code needs 8 to 32 letters, digits, - or _."),
    "libraries": _("Choose libraries the server has."),
    "server_ids": _("Choose the server (or servers) the invite shares."),
}

# What services write into a member's ``reason``, and the start of what they write when
# Plex refused for good (followed by Plex's own words).
REASONS: dict[str, Promise] = {
    "removed by admin": _("Removed by an admin."),
    "removed in Plex": _("Removed in Plex."),
    "imported from Plex": _("Imported from Plex."),
    "inactive": _("Removed for not watching (inactivity rule)."),
    "Accept the invitation in the e-mail from Plex.": _(
        "They still need to accept the invitation in the e-mail from Plex."
    ),
}
REASON_PREFIXES: dict[str, Promise] = {
    "Removal failed: ": _("Removal failed:"),
    "Changing access failed: ": _("Changing access failed:"),
    "Re-invitation failed: ": _("Re-invitation failed:"),
    "Plex refused this server: ": _("Plex refused this server:"),
}

# For these the service's sentence carries facts the owner needs (Plex's own words, the
# addresses tried), so it is shown after ours.
ERRORS_WITH_DETAIL = frozenset({"plex_unavailable", "plex_refused", "server_unreachable"})


def reason(text: str) -> str:
    if text in REASONS:
        return str(REASONS[text])
    for prefix, words in REASON_PREFIXES.items():
        if text.startswith(prefix):
            return f"{words} {text.removeprefix(prefix)}"
    return text


def error_field(exc: ServiceError) -> str | None:
    if isinstance(exc.details, list):
        for detail in exc.details:
            if isinstance(detail, dict) and isinstance(detail.get("field"), str):
                return str(detail["field"])
    return None


def member_error_message(exc: ServiceError) -> str:
    """What a member reads for a refusal: the member area's words, else the dashboard's."""
    ours = MEMBER_ERRORS.get(exc.code)
    return str(ours) if ours is not None else error_message(exc)


def error_message(exc: ServiceError) -> str:
    field = error_field(exc)
    if exc.code == "invalid" and field in FIELD_ERRORS:
        return str(FIELD_ERRORS[field])
    ours = ERRORS.get(exc.code)
    if ours is None:
        return exc.message
    if exc.code in ERRORS_WITH_DETAIL and exc.message:
        return f"{ours} ({exc.message})"
    return str(ours)
