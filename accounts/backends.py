from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.services import normalise_phone


class EmailOrPhoneBackend(ModelBackend):
    """Log in with an email address (any case) or a phone number (any common SA spelling)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username or kwargs.get("email") or kwargs.get("phone")
        if not login or password is None:
            return None
        User = get_user_model()
        if "@" in login:
            user = User.objects.filter(email__iexact=login.strip()).first()
        else:
            try:
                user = User.objects.filter(phone=normalise_phone(login)).first()
            except ValueError:
                return None
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
