from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import passports_apply as apply
from . import passports_bills as bills
from . import passports_people as people

urlpatterns = [
    path("passports/people/", people.PeopleView.as_view(), name="passports-people"),
    path("passports/people/<nid:national_id>/", people.PersonView.as_view(), name="passports-person"),
    path("passports/people/<nid:national_id>/travel/", people.PersonTravelView.as_view(), name="passports-person-travel"),
    path("passports/people/<nid:national_id>/passport/", apply.PassportApplyView.as_view(),
         name="passports-passport-apply"),
    path("bills/", bills.BillListView.as_view(), name="bills-list"),
    path("bills/<bill:number>/", bills.BillView.as_view(), name="bills-detail"),
    path("bills/<bill:number>/pay/", bills.BillPayView.as_view(), name="bills-pay"),
    path("receipts/", bills.ReceiptListView.as_view(), name="receipts-list"),
    path("receipts/<receipt:reference>/", bills.ReceiptView.as_view(), name="receipts-detail"),
    path("receipts/<receipt:reference>/pdf/", bills.ReceiptPdfView.as_view(), name="receipts-pdf"),
]
