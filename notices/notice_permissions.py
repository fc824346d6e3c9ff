"""Who may do what with notices. Every power stops at the user's municipality.

- Communications officers (notices.publish_notice) compose for their whole municipality, approve
  and publish, cancel.
- Department staff (notices.add_notice without publish) draft notices for their own departments
  and submit them for approval; they never publish.
- When a municipality requires approval (MunicipalityNoticeSettings.requires_approval), the one
  who publishes must not be the author: a second pair of eyes.
"""


def is_staff_of(user, municipality_id: int | None) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or
                                                    (municipality_id is not None and user.municipality_id == municipality_id)))


def can_publish(user, notice) -> bool:
    return is_staff_of(user, notice.municipality_id) and user.has_perm("notices.publish_notice")


def drafts_for_department_only(user) -> bool:
    return not user.is_superuser and not user.has_perm("notices.publish_notice")


def can_compose(user, municipality_id: int | None, department_id: int | None = None) -> bool:
    """May write a notice (new, or edit one) for this municipality and issuing department."""
    if not (is_staff_of(user, municipality_id) and user.has_perm("notices.add_notice")):
        return False
    if not drafts_for_department_only(user):
        return True
    return department_id is not None and user.departments.filter(pk=department_id).exists()


def can_edit(user, notice) -> bool:
    if not can_compose(user, notice.municipality_id, notice.department_id):
        return False
    # Department staff edit only what is not yet out: drafts and notices waiting for approval.
    return not drafts_for_department_only(user) or notice.state in ("draft", "pending")
