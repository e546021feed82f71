from django.urls import path

from bench.reference import views

urlpatterns = [
    path("page/<str:code>", views.page),
    path("validate", views.validate),
    path("list", views.item_list),
]
