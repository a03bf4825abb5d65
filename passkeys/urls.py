app_name = "passkeys"

urlpatterns = []
