"""My dependents (dependents.views.dependent_list) and adding one: the add-dependent request type's
choices (its behaviour: the registry's sons and daughters, each decided by the eligibility rule)
and its filing through the inbox, as the pages do."""

from collections import defaultdict

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.templatetags.country_names import country_name
from civil_affairs import ages
from civil_affairs import selectors as registry
from civil_affairs.inbox import behaviour_for
from civil_affairs.statuses import OPEN
from dependents import selectors
from dependents.views import ID_CARD_AGE, OWN_ACCOUNT_AGE

from ..schema import ERRORS
from .requests import sent_data, submit
from .serializers_citizen import DependentsSerializer, language, request_row
from .serializers_requests import DependentAddSerializer, RequestDetailSerializer, refusal_data


def _person(person, lang: str) -> dict:
    return {
        "national_id": person.national_id, "name": person.display_name(lang), "sex": person.sex,
        "nationality": person.nationality, "nationality_name": country_name(person.nationality),
        "birth_date": person.birth_date,
    }


def dependents_data(user) -> dict:
    today = timezone.localdate()
    lang = language()
    links = list(selectors.dependents_of(user))
    dependent_ids = {link.dependent_id for link in links}
    about = defaultdict(list)
    pending_additions = []
    for service_request in selectors.dependent_requests_of(user, dependent_ids=dependent_ids):
        if service_request.subject_id in dependent_ids:
            about[service_request.subject_id].append(request_row(service_request))
        elif service_request.status in OPEN:
            pending_additions.append(request_row(service_request))
    dependents = []
    for link in links:
        person = link.dependent
        dependents.append({
            **_person(person, lang), "name_ar": person.name_ar, "name_en": person.name_en, "relation": link.relation,
            "age_hijri": ages.age_in_years(person.birth_date, today, calendar=ages.HIJRI),
            "age_gregorian": ages.age_in_years(person.birth_date, today, calendar=ages.GREGORIAN),
            "turns_15": registry.person_reaches(person, years=ID_CARD_AGE),
            "turns_18": registry.person_reaches(person, years=OWN_ACCOUNT_AGE),
            "is_citizen": person.is_citizen, "national_id_issued": person.national_id_issued,
            "requests": about[link.dependent_id],
        })
    children = [
        {
            **_person(choice.details["person"], lang), "name": choice.label, "can_add": choice.allowed,
            "refusal": refusal_data(choice.refusal), "already_added": choice.details["already_added"],
            "pending": choice.details["pending"],
        }
        for choice in behaviour_for(selectors.ADD_DEPENDENT).choices(applicant=user, today=today)
    ]
    return {"today": today, "dependents": dependents, "pending_additions": pending_additions, "children": children}


class DependentListView(APIView):
    @extend_schema(
        operation_id="dependents_list", tags=["dependents"], responses={200: DependentsSerializer, **ERRORS(401, 403)},
        summary="My dependents, my requests to add one, and my sons and daughters with whether each can be added "
                "(and if not, why and from when).",
    )
    def get(self, request):
        return Response(DependentsSerializer(dependents_data(request.user)).data)

    @extend_schema(
        operation_id="dependents_add", tags=["dependents"], request=DependentAddSerializer,
        responses={201: RequestDetailSerializer, **ERRORS(400, 401, 403, 413)},
        summary="Ask to add a son or daughter: an add-dependent request (its documents in `files`); the new request.",
        description="Refused with the eligibility rule's reason codes (403: not_parent, too_young, male_18_or_over, "
                    "holds_national_id, has_account, already_added, pending_request, not_living, not_in_registry).",
    )
    def post(self, request):
        sent = DependentAddSerializer(data=sent_data(request))
        sent.is_valid(raise_exception=True)
        values = sent.validated_data
        return submit(
            request, code=selectors.ADD_DEPENDENT, data={"dependent_national_id": values["dependent_national_id"]},
            description=values["description"], submission_key=values["submission_key"], files=values.get("files", []),
            prefix="",
        )
