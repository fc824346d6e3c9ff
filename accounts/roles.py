"""The roles people hold, as Django groups with permissions.

A role lists permissions as "app_label.codename", from every app (wards, triage, heatmaps,
notices, ...); `roles_sync` runs after every migrate.
"""

RESIDENT = "resident"
DISPATCHER = "dispatcher"
DEPARTMENT_STAFF = "department staff"
PLANNER = "planner"
GIS_ANALYST = "GIS analyst"
COMMUNICATIONS_OFFICER = "communications officer"
MUNICIPAL_ADMINISTRATOR = "municipal administrator"

_VIEW_AREAS = ["wards.view_municipality", "wards.view_ward", "wards.view_suburb", "wards.view_boundaryset"]
_EDIT_AREAS = [
    "wards.add_municipality", "wards.change_municipality",
    "wards.add_ward", "wards.change_ward", "wards.add_suburb", "wards.change_suburb",
    "wards.add_boundaryset", "wards.change_boundaryset", "wards.import_areas",
]

_VIEW_ISSUES = ["triage.view_issue", "triage.view_category", "triage.view_question"]
_TRIAGE = [
    *_VIEW_ISSUES, "triage.change_issue", "triage.triage_issue", "triage.work_issue", "triage.log_staff_issue",
    "triage.view_internal_notes", "triage.view_comment", "triage.add_comment", "triage.view_media",
]
_CONFIGURE_CATEGORIES = [
    "triage.add_category", "triage.change_category", "triage.add_question", "triage.change_question",
    "triage.delete_question", "triage.view_apiclient", "triage.add_apiclient", "triage.change_apiclient",
]

# Planners read figures, maps and reports, subscribe to scheduled reports and keep the unit costs
# of the budget projection.
_PLAN = [
    "heatmaps.view_figures", "heatmaps.view_reportsubscription", "heatmaps.add_reportsubscription",
    "heatmaps.change_reportsubscription", "heatmaps.delete_reportsubscription", "heatmaps.view_categorycost",
    "heatmaps.add_categorycost", "heatmaps.change_categorycost",
]

# Municipal administrators keep the routing rules that send new issues to departments.
_ROUTING = [
    "triage.view_routingrule", "triage.add_routingrule", "triage.change_routingrule", "triage.delete_routingrule",
]

# Communications officers and municipal administrators keep the directory: contacts, documents and media, feeds.
_DIRECTORY = [f"directory.{action}_{model}" for model in ("contact", "document", "feed")
              for action in ("view", "add", "change", "delete")]
# Notices (notices.notice_permissions): communications officers compose, approve and publish for
# their municipality; department staff draft for their departments.
_DRAFT_NOTICES = ["notices.view_notice", "notices.add_notice", "notices.change_notice", "notices.view_noticeattachment",
                  "notices.add_noticeattachment", "notices.delete_noticeattachment"]
_PUBLISH_NOTICES = [*_DRAFT_NOTICES, "notices.publish_notice", "notices.view_municipalitynoticesettings"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    RESIDENT: [],
    DISPATCHER: [*_VIEW_AREAS, "accounts.view_department", *_TRIAGE],
    DEPARTMENT_STAFF: [
        *_VIEW_AREAS, "accounts.view_department", *_VIEW_ISSUES, "triage.work_issue", "triage.log_staff_issue",
        "triage.view_internal_notes", "triage.view_comment", "triage.add_comment", "triage.view_media",
        *_DRAFT_NOTICES,
    ],
    PLANNER: [*_VIEW_AREAS, *_VIEW_ISSUES, *_PLAN],
    GIS_ANALYST: [*_VIEW_AREAS, *_EDIT_AREAS, *_VIEW_ISSUES],
    COMMUNICATIONS_OFFICER: [*_VIEW_AREAS, "notices.view_outboundmessage", *_DIRECTORY, *_PUBLISH_NOTICES],
    MUNICIPAL_ADMINISTRATOR: [
        *_VIEW_AREAS, *_EDIT_AREAS, *_TRIAGE, *_CONFIGURE_CATEGORIES, *_ROUTING, "notices.view_outboundmessage",
        *_PUBLISH_NOTICES, "notices.change_municipalitynoticesettings",
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "accounts.view_department", "accounts.add_department", "accounts.change_department", *_DIRECTORY,
    ],
}


# Who may give which role: a municipal administrator gives the roles below theirs, never their own
# (nor superuser, staff status or single permissions: those stay with the platform's superusers).
ROLE_RANK: dict[str, int] = {
    RESIDENT: 0, DISPATCHER: 1, DEPARTMENT_STAFF: 1, PLANNER: 1, GIS_ANALYST: 1, COMMUNICATIONS_OFFICER: 1,
    MUNICIPAL_ADMINISTRATOR: 2,
}


def role_rank(user) -> int:
    """The rank of the highest role the user holds (a superuser outranks every role)."""
    if user.is_superuser:
        return max(ROLE_RANK.values()) + 1
    return max((ROLE_RANK.get(name, max(ROLE_RANK.values())) for name in user.groups.values_list("name", flat=True)),
               default=0)


def grantable_roles(user) -> list[str]:
    rank = role_rank(user)
    return [name for name, needed in ROLE_RANK.items() if needed < rank]
