"""Issues residents report (Open311 "service requests") and everything that happens to them.

An issue is a point in the storage SRID (WGS 84). Its municipality, ward and suburb are found by spatial lookup
when it is filed and then kept: a ward redrawn at the next demarcation does not move old issues.
"""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import get_language, gettext

from assets.models import geography_index
from toolkit.conf import STORAGE_SRID
from triage.issues.permissions import is_department_bound
from triage.issues.workflow import CLOSED_STATUSES, OPEN_STATUSES, Status


class Kind(models.TextChoices):
    FAULT = "fault", "Fault or complaint"
    SERVICE_REQUEST = "service_request", "Service request"
    INFORMATION_REQUEST = "information_request", "Information request"
    COMPLIMENT = "compliment", "Compliment"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "App or API"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    USSD = "ussd", "USSD"
    STAFF = "staff", "Staff in the field"
    PHONE = "phone", "Phone call"
    WALK_IN = "walk_in", "Walk-in at an office"
    IMPORT = "import", "Imported from an earlier system"


def in_active_language(translations: dict, field: str, default_text: str) -> str:
    """A field's text in the active language when stored, else the default language's (the field itself)."""
    text = (translations.get(get_language() or "") or {}).get(field)
    return str(text) if text else default_text


def validate_translations(value) -> None:
    if not isinstance(value, dict) or not all(isinstance(texts, dict) for texts in value.values()):
        raise ValidationError('Give an object per language code, e.g. {"zu": {"name": "..."}}.')
    unknown = set(value) - set(dict(settings.LANGUAGES))
    if unknown:
        raise ValidationError(f"Not a language of the site: {', '.join(sorted(unknown))}.")


class CategoryQuerySet(models.QuerySet):
    def active(self) -> "CategoryQuerySet":
        return self.filter(is_active=True)

    def of_municipality(self, code: str) -> "CategoryQuerySet":
        return self.filter(municipality__code=code)

    def with_municipality(self) -> "CategoryQuerySet":
        """Joined to the municipality, without its boundary: a municipality's MultiPolygon is
        tens of kilobytes that GEOS would parse on every request for nothing."""
        return self.select_related("municipality").defer("municipality__boundary")

    def for_intake(self) -> "CategoryQuerySet":
        """With everything filing a report reads: municipality, default department, asset type and
        the questions in order (as `ordered_questions`)."""
        return (self.with_municipality().select_related("default_department", "asset_type")
                .prefetch_related(models.Prefetch("questions", queryset=Question.objects.order_by("order", "code"),
                                                  to_attr="ordered_questions")))


class Category(models.Model):
    """What an issue is about: a pothole, a broken streetlight, a question about rates...
    Open311 calls it a service; `code` is its service_code."""

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(max_length=40, help_text="Open311 service_code, unique within the municipality.")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    group = models.CharField(max_length=80, blank=True, help_text="Open311 group, e.g. 'Roads'.")
    keywords = models.CharField(max_length=255, blank=True, help_text="Comma-separated search words.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FAULT)
    default_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="categories"
    )
    asset_type = models.ForeignKey(
        "assets.AssetType", null=True, blank=True, on_delete=models.SET_NULL, related_name="categories",
        help_text="Issues of this category are snapped to the nearest asset of this type.",
    )
    snap_radius_m = models.PositiveIntegerField(default=50, help_text="How far (metres) to look for that asset.")
    sla_hours = models.PositiveIntegerField(null=True, blank=True, help_text="Target hours from report to resolution.")
    default_priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    is_private = models.BooleanField(
        default=False, help_text="Reports about people or homes: the location is never shown publicly."
    )
    # Likely duplicates: open reports of this category within this distance (and reported within
    # the window) are offered to a resident before they submit, and grouped on the board.
    duplicate_radius_m = models.PositiveIntegerField(
        default=50, help_text="Open reports of this category this close (metres) are likely duplicates; 0 turns "
                              "suggestions off. Reports snapped to the same asset are duplicates at any distance.",
    )
    duplicate_window_days = models.PositiveIntegerField(
        default=30, help_text="Only reports made within this many days are suggested; 0 means any age.",
    )
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    # name, description and group are written in the municipality's default language; other languages'
    # text is stored here, e.g. {"zu": {"name": "Umgodi emgwaqweni", "group": "Imigwaqo"}}, and what is
    # missing falls back to the default language's.
    translations = models.JSONField(default=dict, blank=True, validators=[validate_translations],
                                    help_text='Per language: {"af": {"name": "...", "description": "...", "group": "..."}}.')

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "order", "name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["municipality", "code"], name="category_code_per_municipality")]

    def __str__(self):
        return f"{self.name} ({self.municipality.code})"

    @property
    def local_name(self) -> str:
        """The name in the active language (or the municipality's default language's)."""
        return in_active_language(self.translations, "name", self.name)

    @property
    def local_group(self) -> str:
        return in_active_language(self.translations, "group", self.group)

    @property
    def local_description(self) -> str:
        return in_active_language(self.translations, "description", self.description)


class Question(models.Model):
    """An extra question a category asks the reporter (an Open311 attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", "Short text"
        TEXT = "text", "Long text"
        NUMBER = "number", "Number"
        DATETIME = "datetime", "Date and time"
        YES_NO = "yesno", "Yes or no"
        SINGLE_CHOICE = "singlevaluelist", "One of a list"
        MULTIPLE_CHOICE = "multivaluelist", "Several of a list"

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(max_length=40)
    prompt = models.CharField(max_length=255, help_text="The question as the reporter reads it.")
    datatype = models.CharField(max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    datatype_description = models.CharField(max_length=255, blank=True)
    required = models.BooleanField(default=False)
    choices = models.JSONField(
        default=list, blank=True, help_text='For lists: [{"key": "...", "name": "..."}, ...].'
    )
    order = models.PositiveSmallIntegerField(default=0)
    # Like Category.translations: {"st": {"prompt": "...", "choices": {"key": "name", ...}}}.
    translations = models.JSONField(default=dict, blank=True, validators=[validate_translations],
                                    help_text='Per language: {"af": {"prompt": "...", "choices": {"key": "name"}}}.')

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="question_code_per_category")]

    def __str__(self):
        return self.prompt

    @property
    def local_prompt(self) -> str:
        return in_active_language(self.translations, "prompt", self.prompt)

    def local_choices(self) -> list[tuple[str, str]]:
        """(key, name) of each choice, names in the active language where translated."""
        if self.datatype == self.Datatype.YES_NO:
            return [("yes", gettext("Yes")), ("no", gettext("No"))]
        names = (self.translations.get(get_language() or "") or {}).get("choices") or {}
        return [(str(choice["key"]), str(names.get(str(choice["key"])) or choice.get("name", choice["key"])))
                for choice in self.choices]

    def choice_keys(self) -> list[str]:
        if self.datatype == self.Datatype.YES_NO:
            return ["yes", "no"]
        return [str(choice["key"]) for choice in self.choices]


class IssueQuerySet(models.QuerySet):
    def open(self) -> "IssueQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self) -> "IssueQuerySet":
        return self.filter(status__in=CLOSED_STATUSES)

    def of_municipality(self, code: str) -> "IssueQuerySet":
        return self.filter(municipality__code=code)

    def in_bbox(self, bbox: tuple[float, float, float, float]) -> "IssueQuerySet":
        """Issues inside (west, south, east, north) in WGS 84, on the GiST index of the column."""
        return self.filter(location__bboverlaps=Polygon.from_bbox(bbox))

    def public(self) -> "IssueQuerySet":
        """What the public map and API may list: everything but issues merged away."""
        return self.exclude(status=Status.DUPLICATE)

    def for_display(self) -> "IssueQuerySet":
        """Joined to everything an issue page or answer shows, without the related polygons and
        lines (ward, suburb, municipality, asset), which would cost 13 ms a request."""
        return self.select_related(
            "municipality", "category", "ward", "suburb", "asset__asset_type", "department", "duplicate_of",
            "reporter", "assignee",
        ).defer(*DISPLAY_DEFERRED)

    def visible_to_staff(self, user) -> "IssueQuerySet":
        """Issues a staff member may see: all for a superuser; else their municipality's, only their
        departments' for department staff, and issues of private categories only for staff who may
        read internal notes (where a private issue is, is personal data)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated or user.municipality_id is None:
            return self.none()
        issues = self.filter(municipality_id=user.municipality_id)
        if is_department_bound(user):
            issues = issues.filter(department__in=user.departments.values("pk"))
        if not user.has_perm("triage.view_internal_notes"):
            issues = issues.exclude(category__is_private=True)
        return issues


# Carried by every open-issue index of the board (Issue.Meta.indexes): what it filters on and shows.
BOARD_INDEX_COLUMNS = ["category", "ward", "department", "assignee", "asset", "channel", "location", "reference", "status",
                       "updated_at"]

DISPLAY_DEFERRED = ("municipality__boundary", "ward__geom", "suburb__geom", "asset__geom",
                    "duplicate_of__location", "reporter__home_location", "assignee__home_location")


class Issue(models.Model):
    municipality = models.ForeignKey("wards.Municipality", on_delete=models.PROTECT, related_name="issues")
    reference = models.CharField(max_length=40, unique=True, help_text="e.g. GT423-2026-000123.")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Open311 token.")
    tracking_key = models.CharField(
        max_length=32, editable=False, help_text="Secret given to the reporter: lets an anonymous reporter rate."
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="issues")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    location = models.PointField(srid=STORAGE_SRID)
    address = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    media_url = models.URLField(blank=True, help_text="A photo elsewhere (Open311 media_url).")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    external_id = models.CharField(max_length=64, blank=True, help_text="Its id in another system.")

    # The reporter: an account, or anonymous with optional contact details. Never published.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_issues"
    )
    reporter_name = models.CharField(max_length=150, blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_updates_stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reporter stopped this issue's updates (from their signed link); "
                                         "empty: they hear of every public change.")

    # Found by spatial lookup at intake.
    ward = models.ForeignKey("wards.Ward", null=True, blank=True, on_delete=models.SET_NULL, related_name="issues")
    suburb = models.ForeignKey(
        "wards.Suburb", null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="issues")
    asset_distance_m = models.FloatField(null=True, blank=True)

    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_issues"
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    # The board's queue sorts urgent first; a stored number (kept by PostgreSQL) lets an index give
    # that order, so the first 5,000 of 100,000 open issues are read in order, not sorted.
    priority_rank = models.GeneratedField(
        expression=models.Case(*[models.When(priority=key, then=models.Value(rank)) for key, rank in PRIORITY_RANK.items()],
                               default=models.Value(9)),
        output_field=models.PositiveSmallIntegerField(), db_persist=True,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    status_note = models.TextField(blank=True, help_text="The latest public note (Open311 status_notes).")
    rejection_reason = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    upvotes = models.PositiveIntegerField(default=0, help_text="'Me too' count.")

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expected_at = models.DateTimeField(null=True, blank=True, help_text="created_at + the category's SLA.")
    time_to_acknowledge = models.DurationField(null=True, blank=True)
    time_to_resolve = models.DurationField(null=True, blank=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("triage_issue", "Can acknowledge, assign, prioritise, reject and merge issues"),
            ("work_issue", "Can move issues of their department through in progress to resolved"),
            ("log_staff_issue", "Can log issues found in the field"),
            ("view_internal_notes", "Can read internal notes and reporter contact details"),
        ]
        indexes = [
            geography_index("location", "issue_location_geography"),
            models.Index(fields=["municipality", "status", "created_at"], name="issue_muni_status_created"),
            models.Index(fields=["category", "status"], name="issue_category_status"),
            models.Index(fields=["updated_at"], name="issue_updated_at"),
            # The dispatcher board reads open issues of one municipality in the queue's orders; these
            # partial indexes hold only open issues (a tenth of all), so they stay small. Each carries
            # the columns the board filters on and everything a queue row and its marker show
            # (BOARD_INDEX_COLUMNS, triage.dispatch.board.PAGE_COLUMNS), so a page of 5,000 is read from the
            # index alone, in order, without visiting the table (PostgreSQL skips entries that do not
            # match the filter without visiting their rows either); the first also carries what
            # clustering reads. One per order: priority, due, age (oldest and newest), recently
            # changed; and the superuser's view of every municipality in the default order.
            models.Index(fields=["municipality", "priority_rank", "expected_at", "created_at", "id"],
                         include=BOARD_INDEX_COLUMNS,
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="issue_open_by_priority"),
            models.Index(fields=["municipality", "expected_at", "priority_rank", "created_at", "id"],
                         include=BOARD_INDEX_COLUMNS,
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="issue_open_by_due"),
            models.Index(fields=["municipality", "created_at", "id"],
                         include=[*BOARD_INDEX_COLUMNS, "priority_rank", "expected_at"],
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="issue_open_by_age"),
            models.Index(fields=["municipality", "updated_at", "id"],
                         include=[*BOARD_INDEX_COLUMNS, "priority_rank", "expected_at", "created_at"],
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="issue_open_by_update"),
            models.Index(fields=["priority_rank", "expected_at", "created_at", "id"],
                         include=["municipality", *BOARD_INDEX_COLUMNS],
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="issue_open_all_by_priority"),
            # How many open issues match the board's filter (its "5,000 of 16,723"): narrow entries with
            # the category as a range, so counting a category takes a twentieth of the time the wide indexes need.
            models.Index(fields=["municipality", "category", "department"],
                         include=["ward", "assignee", "channel", "priority_rank", "expected_at", "created_at"],
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="issue_open_counts"),
            # The few issues merged into another: the board counts each row's merged duplicates here
            # (the foreign key's own index holds a million NULLs to step past).
            models.Index(fields=["duplicate_of"], condition=Q(duplicate_of__isnull=False), name="issue_merged_into"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="issue_status_known"),
            models.CheckConstraint(condition=~Q(duplicate_of=models.F("id")), name="issue_not_duplicate_of_itself"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IssueEvent(models.Model):
    """One line of an issue's history: a status change, an assignment, a re-route, a note."""

    class Action(models.TextChoices):
        CREATED = "created", "Reported"
        STATUS = "status", "Status changed"
        ASSIGNED = "assigned", "Assigned"
        ROUTED = "routed", "Department changed"
        PRIORITY = "priority", "Priority changed"
        NOTE = "note", "Internal note"
        UPDATE = "update", "Update from an external system"
        MERGED = "merged", "Duplicates merged in"
        UNMERGED = "unmerged", "Duplicate separated"

    # What the public history shows: the report, status changes and back-office updates with their
    # public notes; assignments, re-routing, priorities, merges and internal notes are staff business.
    PUBLIC_ACTIONS = (Action.CREATED, Action.STATUS, Action.UPDATE)

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=120, blank=True, help_text="Shown publicly: 'Resident', a department.")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    public_note = models.TextField(blank=True)
    internal_note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="e.g. the department or priority before and after.")
    external_update_id = models.CharField(max_length=64, blank=True, help_text="Open311 servicerequestupdates id.")

    class Meta:
        ordering = ["issue", "at", "id"]
        indexes = [models.Index(fields=["issue", "at"], name="issue_event_issue_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "external_update_id"], condition=~Q(external_update_id=""),
                name="issue_event_external_update_once",
            )
        ]

    def __str__(self):
        return f"{self.issue.reference}: {self.action} {self.from_status}→{self.to_status}"


class Comment(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_label = models.CharField(max_length=120, help_text="Shown publicly: 'Resident' or the department.")
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Staff only; never shown publicly.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["issue", "created_at", "id"]

    def __str__(self):
        return f"{self.issue.reference}: {self.body[:40]}"


class Rating(models.Model):
    """The reporter's verdict once resolved: once per reporter per issue."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="ratings")
    rater_key = models.CharField(max_length=64, help_text="'user:<id>' or 'reporter:<issue id>' (anonymous).")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    stars = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "rater_key"], name="rating_once_per_reporter"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.issue.reference}: {self.stars}/5"


class Follower(models.Model):
    """Someone who gets the issue's public updates: a resident account, or a bare email or phone
    (reporters of issues merged into this one, SMS reporters). An address typed into a follow form
    gets nothing but a confirmation request until its owner confirms (`confirmed_at`)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the follower confirmed (accounts, and reporters' own addresses, at once); empty: no updates yet.",
    )
    merged_from = models.ForeignKey(
        "Issue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The duplicate whose merge made this person a follower (un-merging takes them off again).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], condition=Q(user__isnull=False), name="follow_once_user"),
            models.UniqueConstraint(fields=["issue", "email"], condition=~Q(email=""), name="follow_once_email"),
            models.UniqueConstraint(fields=["issue", "phone"], condition=~Q(phone=""), name="follow_once_phone"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email="") | ~Q(phone=""), name="follower_is_reachable"
            ),
        ]


class Upvote(models.Model):
    """'Me too': one per resident per issue; `voter_key` is 'user:<id>' or an anonymous client id."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="upvote_rows")
    voter_key = models.CharField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "voter_key"], name="upvote_once")]
