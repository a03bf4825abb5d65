from django import template

from accounts.views import LOGIN

from ..models import Passkey

register = template.Library()


@register.simple_tag
def passkeys_of(user):
    """The account's passkeys, oldest first (the profile's section)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Passkey.objects.filter(user=user).only("name", "created_at", "last_used_at").order_by("created_at", "id"))


@register.simple_tag(takes_context=True)
def passkey_second_step_offered(context) -> bool:
    """Whether the account signing in (its password was right) has a passkey to use instead of the code."""
    request = context.get("request")
    data = request.session.get(LOGIN) if request is not None else None
    user_id = data.get("user_id") if isinstance(data, dict) else None
    return bool(user_id) and Passkey.objects.filter(user_id=user_id).exists()
