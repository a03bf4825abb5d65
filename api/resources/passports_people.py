"""People the citizen acts for, a person's documents and services, a person's travel record.

The same reads as the pages (passports/views.py home, person_detail, travel_record): the person
found through selectors.acting_person with the page's queryset hook, the documents through
selectors.person_documents, the facts every rule reads once (selectors.HolderFacts), each service's
standing refusal through services.service_precheck (passports.rules.standing_refusal).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import ERRORS
from passports import forms, selectors, services
from passports.models import TravelRecord
from passports.reasons import PAY_FINES, reason_texts, ways_forward
from passports.views import PERSON_SERVICES, _offered

from . import passports_shapes as shapes
from .passports import acting_or_404, form_invalid, language, today
from .passports_serializers import (
    PassportsPeopleItemSerializer,
    PassportsPersonDetailSerializer,
    TravelFilterSerializer,
    TravelRecordSerializer,
    dual,
)


class PeopleView(APIView):
    @extend_schema(
        operation_id="passports_people_list", tags=["passports"],
        responses={200: PassportsPeopleItemSerializer(many=True), **ERRORS(401, 403)},
        summary="The citizen, their children under 21 and the workers they sponsor, with passport and iqama.",
    )
    def get(self, request):
        day = today()
        people = selectors.acting_people(request.user, today=day, queryset_hook=selectors.home_hook)
        rows = []
        for acting in people:
            person = acting.person
            valid = person.valid_passports[0] if person.valid_passports else None
            rows.append({
                "person": shapes.person(person, acting.relation),
                "passport": shapes.passport(valid, day) if valid else None,
                "iqama": shapes.iqama_summary(person, day),
            })
        return Response(PassportsPeopleItemSerializer(rows, many=True).data)


def person_services(request, acting, day, facts) -> list[dict]:
    """The services the person's page offers, each with what refuses it whatever the answers."""
    person = acting.person
    offered = [row for row in PERSON_SERVICES if _offered(row[4], person, acting.relation)]
    fees = selectors.fee_table() if offered else {}
    out = []
    for service, _url_name, title, _style, _audience in offered:
        standing = services.service_precheck(service=service, actor=request.user, holder=person, today=day,
                                             relation=acting.relation, facts=facts, fees=fees)
        ways = ways_forward(standing, citizen=person.is_citizen)
        out.append({
            "service": service, "title": str(title), "allowed": standing.allowed,
            # One text per reason code, in the rule's order (passports.reasons.reason_texts).
            "reasons": [{"code": code, "message": text} for code, text in zip(standing.reasons, reason_texts(standing),
                                                                             strict=True)],
            "allowed_from": dual(standing.allowed_from), "ways_forward": ways,
            "fines_to_pay": [shapes.fine(row) for row in facts.unpaid_fines] if PAY_FINES in ways else [],
        })
    return out


class PersonView(APIView):
    @extend_schema(
        operation_id="passports_person_detail", tags=["passports"],
        responses={200: PassportsPersonDetailSerializer, **ERRORS(401, 403, 404)},
        summary="A person's passports, iqama, visas, travel permits, fines and services (what refuses each, and the "
                "way forward).",
    )
    def get(self, request, national_id):
        day = today()
        acting = acting_or_404(request, national_id, hook=selectors.person_page_hook(day))
        person = acting.person
        documents = selectors.person_documents(person)
        facts = selectors.HolderFacts.annotated(person, today=day, held_visas=documents["held_visas"],
                                                unpaid_fines=documents["unpaid_fines"])
        record = getattr(person, "iqama_record", None) if person.is_resident else None
        return Response(PassportsPersonDetailSerializer({
            "person": shapes.person(person, acting.relation),
            "passports": [shapes.passport(row, day) for row in documents["passports"]],
            "iqama": shapes.iqama(person, record, day),
            "absence_report": shapes.absence_report(getattr(person, "absconding_report", None)),
            "visas": [shapes.visa(row, day) for row in documents["visas"]],
            "travel_permits": [shapes.permit(row, day) for row in documents["permits"]] if person.is_citizen else [],
            "fines": [shapes.fine(row) for row in documents["fines"]],
            "services": person_services(request, acting, day, facts),
        }).data)


class PersonTravelView(ListAPIView):
    serializer_class = TravelRecordSerializer

    def get_queryset(self):
        return TravelRecord.objects.none()  # the rows come as values (list below)

    @extend_schema(
        operation_id="passports_person_travel", tags=["passports"],
        parameters=[TravelFilterSerializer], responses={200: TravelRecordSerializer(many=True), **ERRORS(400, 401, 403, 404)},
        summary="The person's entries and exits, newest first, between two dates if given.",
    )
    def get(self, request, national_id):
        acting = acting_or_404(request, national_id)
        form = forms.TravelRecordFilterForm(request.query_params, people=[acting], language=language())
        if not form.is_valid():
            raise form_invalid(form)
        rows = selectors.travel_record_rows([acting.person.pk], date_from=form.cleaned_data["date_from"],
                                            date_to=form.cleaned_data["date_to"])
        page = self.paginate_queryset(rows)
        make = selectors.travel_record_row_maker([acting])
        records = []
        for values in page:
            row = make(values)
            records.append({"on": dual(row.on), "direction": row.direction, "direction_label": row.direction_label,
                            "port": row.port, "port_label": row.port_label,
                            "visa_number": row.visa.number if row.visa else None})
        return self.get_paginated_response(TravelRecordSerializer(records, many=True).data)

