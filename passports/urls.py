from django.urls import path

from . import views

app_name = "passports"

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/read/", views.notices_read, name="notices-read"),
    path("iqama-validity/", views.iqama_validity, name="iqama-validity"),
    path("travel-record/", views.travel_record, name="travel-record"),
    path("people/<str:national_id>/", views.person_detail, name="person-detail"),
    path("people/<str:national_id>/passport/", views.passport_apply, name="passport-apply"),
    path("people/<str:national_id>/iqama/", views.iqama_apply, name="iqama-apply"),
    path("people/<str:national_id>/exit-reentry/", views.exit_reentry_apply, name="exit-reentry-apply"),
    path("people/<str:national_id>/final-exit/", views.final_exit_apply, name="final-exit-apply"),
    path("people/<str:national_id>/travel-permit/", views.travel_permit_apply, name="travel-permit-apply"),
    path("people/<str:national_id>/absence-report/", views.absconding_report, name="absconding-report"),
    path("visas/", views.visa_inquiry, name="visa-inquiry"),
    path("visas/<str:number>/", views.visa_detail, name="visa-detail"),
    path("visas/<str:number>/extend/", views.visa_extend, name="visa-extend"),
    path("visas/<str:number>/cancel/", views.visa_cancel, name="visa-cancel"),
    path("permits/<str:number>/cancel/", views.travel_permit_cancel, name="travel-permit-cancel"),
    path("fines/<str:reference>/pay/", views.fine_pay, name="fine-pay"),
    path("bills/<str:number>/", views.bill_detail, name="bill-detail"),
    path("bills/<str:number>/pay/", views.bill_pay, name="bill-pay"),
    path("bills/<str:number>/simulated-gateway/", views.payment_simulated, name="payment-simulated"),
    path("bills/<str:number>/return/", views.payment_return, name="payment-return"),
    path("bills/<str:number>/complete/", views.bill_complete, name="bill-complete"),
    path("bills/<str:number>/refund/", views.bill_refund, name="bill-refund"),
    path("receipts/<str:reference>/", views.receipt_detail, name="receipt-detail"),
]
