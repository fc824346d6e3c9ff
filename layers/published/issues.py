"""Issues as published layers (see layers/registry.py): a public one built from an allow-list, and
a fuller one for staff.

Public (`issues`): the same rule as the public API and map (triage/issues/presenters.py) — no issues of
private categories (reports about people or homes), no duplicates, and only the fields listed
here: never the reporter's name, phone, email or account, the address, the description or the
answers. The registry refuses a public layer whose properties reach the user model.

Staff (`issues-staff`, for roles that read issues): the issues the viewer may see as staff
(IssueQuerySet.visible_to_staff: their municipality, their departments for department staff,
private categories only for roles that read internal notes; all for a superuser), duplicates
included, with routing and timing fields. Still no
reporter contact details, address, description or answers: GIS files are copied to shared drives
and mailed around, where no permission check follows them; the dispatcher board, which checks
`view_internal_notes` for each read, is where staff reach the reporter.
"""

from layers.registry import Layer, Style, TileRules, register
from triage.issues.models import Category, Issue
from triage.issues.workflow import Status

# Open issues warm (red to yellow), finished ones green, the rest grey: the legend GIS users and
# the public map share.
STATUS_CLASSES = (
    (Status.SUBMITTED.value, "Submitted", "#d7191c"),
    (Status.REOPENED.value, "Reopened", "#a50026"),
    (Status.ACKNOWLEDGED.value, "Acknowledged", "#f46d43"),
    (Status.ASSIGNED.value, "Assigned", "#fdae61"),
    (Status.IN_PROGRESS.value, "In progress", "#fee08b"),
    (Status.RESOLVED.value, "Resolved", "#a6d96a"),
    (Status.CLOSED.value, "Closed", "#1a9641"),
    (Status.REJECTED.value, "Rejected", "#969696"),
    (Status.DUPLICATE.value, "Duplicate", "#cccccc"),
)
ISSUE_STYLE = Style(stroke="#ffffff", stroke_width=0.3, fill="#2c7bb6", fill_opacity=1,
                    classify_by="status", classes=STATUS_CLASSES)
# A million points: below z13 a tile holds one feature per 16-pixel cell with its count; at z13-14
# each point carries what a dot needs (its colour, and the reference to ask for the rest); from z15
# every published property. Every point tile reads the grid index layers/migrations/0002 builds on the issues
# (0003 adds the reference to it, so z13-14 tiles read nothing else).
ISSUE_TILES = TileRules(aggregate_below=13, cell_pixels=16, summary=("reference", "status", "category"), full_from=15,
                        grid_index=True)


def public_issues():
    # NOT IN (the private categories) rather than a join on the category: checked once per row against
    # a handful of ids, and the query joins the category only when a property reads it.
    return Issue.objects.public().exclude(category__in=Category.objects.filter(is_private=True))


register(Layer(
    key="issues",
    title="Issues reported by residents",
    description="Public issues: no reports in private categories, no duplicates, no reporter details. "
                "Filter with ?status=, ?category=, ?ward=, ?municipality= and datetime (when reported).",
    queryset=public_issues,
    geometry="location",
    id_field="reference",
    properties={
        "reference": "reference",
        "status": "status",
        "category": "category__code",
        "category_name": "category__name",
        "kind": "kind",
        "municipality": "municipality__code",
        "ward": "ward__number",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "resolved_at": "resolved_at",
        "expected_at": "expected_at",  # the public target the track page shows; open data's "within SLA" reads it
        "upvotes": "upvotes",
    },
    datetime_field="created_at",
    cheap_to_count=False,
    style=ISSUE_STYLE,
    tiles=ISSUE_TILES,
    keywords=("issues", "service requests", "open311"),
))

register(Layer(
    key="issues-staff",
    title="Issues (staff: the issues your role may see)",
    description="The issues of your municipality your role may see, duplicates included, with routing and timing. "
                "No reporter contact details: the dispatcher board shows those.",
    queryset=lambda: Issue.objects.all(),
    restrict=lambda rows, user: rows.visible_to_staff(user),
    public=False,
    permission="triage.view_issue",
    geometry="location",
    id_field="reference",
    properties={
        "reference": "reference",
        "status": "status",
        "category": "category__code",
        "category_name": "category__name",
        "private": "category__is_private",
        "kind": "kind",
        "priority": "priority",
        "channel": "channel",
        "municipality": "municipality__code",
        "ward": "ward__number",
        "suburb": "suburb__name",
        "department": "department__name",
        "asset": "asset__external_id",
        "asset_distance_m": "asset_distance_m",
        "duplicate_of": "duplicate_of__reference",
        "upvotes": "upvotes",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "acknowledged_at": "acknowledged_at",
        "resolved_at": "resolved_at",
        "closed_at": "closed_at",
        "expected_at": "expected_at",
    },
    datetime_field="created_at",
    cheap_to_count=False,
    style=ISSUE_STYLE,
    tiles=ISSUE_TILES,
    keywords=("issues", "service requests", "staff"),
))
