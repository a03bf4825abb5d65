import pytest

from accounts.models import AccountState


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE, preferred_language="en")


@pytest.fixture
def gateway_down(settings):
    """The gateway fails every attempt a message can get (then the test may clear it: back up)."""
    from absher.sms.backends import locmem

    locmem.fail_next.extend([True] * (1 + len(settings.NOTIFY_RETRY_DELAYS)))
    return locmem.fail_next
