from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import receipt_views, views

app_name = "passports"

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/read/", views.notices_read, name="notices-read"),
    path("iqama-validity/", views.iqama_validity, name="iqama-validity"),
    path("travel-record/", views.travel_record, name="travel-record"),
    path("payments/notify/", views.payment_notification, name="payment-notification"),
    path("people/<nid:national_id>/", views.person_detail, name="person-detail"),
    path("people/<nid:national_id>/passport/", views.passport_apply, name="passport-apply"),
    path("people/<nid:national_id>/iqama/", views.iqama_apply, name="iqama-apply"),
    path("people/<nid:national_id>/exit-reentry/", views.exit_reentry_apply, name="exit-reentry-apply"),
    path("people/<nid:national_id>/final-exit/", views.final_exit_apply, name="final-exit-apply"),
    path("people/<nid:national_id>/travel-permit/", views.travel_permit_apply, name="travel-permit-apply"),
    path("people/<nid:national_id>/absence-report/", views.absconding_report, name="absconding-report"),
    path("visas/", views.visa_inquiry, name="visa-inquiry"),
    path("visas/<visa:number>/", views.visa_detail, name="visa-detail"),
    path("visas/<visa:number>/extend/", views.visa_extend, name="visa-extend"),
    path("visas/<visa:number>/cancel/", views.visa_cancel, name="visa-cancel"),
    path("permits/<permit:number>/cancel/", views.travel_permit_cancel, name="travel-permit-cancel"),
    path("fines/<fine:reference>/pay/", views.fine_pay, name="fine-pay"),
    path("bills/<bill:number>/", views.bill_detail, name="bill-detail"),
    path("bills/<bill:number>/pay/", views.bill_pay, name="bill-pay"),
    path("bills/<bill:number>/simulated-gateway/", views.payment_simulated, name="payment-simulated"),
    path("bills/<bill:number>/return/", views.payment_return, name="payment-return"),
    path("bills/<bill:number>/complete/", views.bill_complete, name="bill-complete"),
    path("bills/<bill:number>/refund/", views.bill_refund, name="bill-refund"),
    path("receipts/<receipt:reference>/", receipt_views.receipt_detail, name="receipt-detail"),
    path("receipts/<receipt:reference>/pdf/", receipt_views.receipt_pdf, name="receipt-pdf"),
]
