from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product_list"),
    path("products/new/", views.ProductCreateView.as_view(), name="product_create"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product_detail"),
    path("products/<int:pk>/edit/", views.ProductUpdateView.as_view(), name="product_update"),
    path("categories/", views.CategoryListView.as_view(), name="category_list"),
    path("vat-rates/", views.VatRateListView.as_view(), name="vatrate_list"),
    path("categories/new/", views.CategoryCreateView.as_view(), name="category_create"),
    path("categories/<int:pk>/edit/", views.CategoryUpdateView.as_view(), name="category_update"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
    path("price-lists/", views.PriceListListView.as_view(), name="pricelist_list"),
    path("price-lists/new/", views.PriceListCreateView.as_view(), name="pricelist_create"),
    path("price-lists/<int:pk>/", views.pricelist_detail, name="pricelist_detail"),
    path("price-lists/<int:pk>/edit/", views.PriceListUpdateView.as_view(), name="pricelist_update"),
    path("price-lists/<int:pk>/items/<int:item_pk>/delete/", views.pricelist_item_delete, name="pricelist_item_delete"),
]
