"""The roles people hold, as Django groups with permissions.

A role lists permissions as "app_label.codename". Apps that arrive later (triage, heatmaps,
notices, ...) add their permissions here; `roles_sync` runs after every migrate.
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

ROLE_PERMISSIONS: dict[str, list[str]] = {
    RESIDENT: [],
    DISPATCHER: [*_VIEW_AREAS, "accounts.view_department"],
    DEPARTMENT_STAFF: [*_VIEW_AREAS, "accounts.view_department"],
    PLANNER: [*_VIEW_AREAS],
    GIS_ANALYST: [*_VIEW_AREAS, *_EDIT_AREAS],
    COMMUNICATIONS_OFFICER: [*_VIEW_AREAS],
    MUNICIPAL_ADMINISTRATOR: [
        *_VIEW_AREAS, *_EDIT_AREAS,
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "accounts.view_department", "accounts.add_department", "accounts.change_department",
    ],
}
