from django.db.models import Q

from .models import User


def user_by_identifier(identifier: str) -> User | None:
    """The account a username (any case) or an ID number names."""
    identifier = identifier.strip()
    if not identifier:
        return None
    query = Q(username__iexact=identifier)
    if identifier.isdigit():
        query |= Q(person__national_id=identifier)
    return User.objects.select_related("person").filter(query).first()


def username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


def mobile_taken(mobile: str) -> bool:
    return User.objects.filter(mobile=mobile).exists()
