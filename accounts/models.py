from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from toolkit.conf import STORAGE_SRID


class UserManager(BaseUserManager):
    def create_user(self, email=None, password=None, *, phone=None, **fields):
        if not email and not phone:
            raise ValueError("A user needs an email address or a phone number to log in with.")
        user = self.model(email=self.normalize_email(email) or None, phone=phone or None, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Residents and staff alike log in with an email address or a phone number.

    Either may be missing (many residents have only a phone), never both. Phone numbers are kept
    in E.164 form (+27...) so SMS intake can find the same person later.
    """

    email = models.EmailField(unique=True, null=True, blank=True)
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(default=False, help_text="The owner of the number entered a code sent to it.")
    full_name = models.CharField(max_length=150, blank=True)
    home_address = models.CharField(max_length=255, blank=True)
    home_location = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    municipality = models.ForeignKey(
        "wards.Municipality", null=True, blank=True, on_delete=models.SET_NULL, related_name="staff",
        help_text="The municipality a staff member works for; empty for residents.",
    )
    departments = models.ManyToManyField("accounts.Department", blank=True, related_name="members")
    is_staff = models.BooleanField(default=False, help_text="May log in to the admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False), name="user_has_a_login"
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
        ]

    def __str__(self):
        return self.full_name or self.email or self.phone or f"user {self.pk}"

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else str(self)


class Department(models.Model):
    """A business unit of a municipality (Roads, Water and Sanitation, ...): issues are routed to
    departments and staff belong to them."""

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=40)
    email = models.EmailField(blank=True, help_text="Where new issues routed here are announced.")
    phone = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="department_code_unique_per_municipality")
        ]

    def __str__(self):
        return f"{self.name} ({self.municipality.code})"
