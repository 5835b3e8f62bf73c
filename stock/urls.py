from django.urls import include, path

from . import views

app_name = "stock"

urlpatterns = [
    path("", views.LevelListView.as_view(), name="level_list"),
    path("products/<int:pk>/", views.product_stock, name="product_stock"),
    path("products/<int:pk>/settings/<int:warehouse_pk>/", views.product_stock_setting, name="product_stock_setting"),
    path("moves/", views.MoveListView.as_view(), name="move_list"),
    path("exits/new/", views.ExitView.as_view(), name="exit"),
    path("transfers/new/", views.TransferView.as_view(), name="transfer"),
    path("inventories/", views.InventoryListView.as_view(), name="inventory_list"),
    path("inventories/new/", views.InventoryOpenView.as_view(), name="inventory_open"),
    path("inventories/<int:pk>/", views.inventory_detail, name="inventory_detail"),
    path("inventories/<int:pk>/count/", views.inventory_count, name="inventory_count"),
    path("inventories/<int:pk>/validate/", views.inventory_validate, name="inventory_validate"),
    path("inventories/<int:pk>/cancel/", views.inventory_cancel, name="inventory_cancel"),
    path("warehouses/", views.WarehouseListView.as_view(), name="warehouse_list"),
    path("warehouses/new/", views.WarehouseCreateView.as_view(), name="warehouse_create"),
    path("warehouses/<int:pk>/", views.warehouse_detail, name="warehouse_detail"),
    path("warehouses/<int:pk>/edit/", views.WarehouseUpdateView.as_view(), name="warehouse_update"),
    path("valuation/", views.valuation, name="valuation"),
    path("labels/", include("stock.label_urls")),
]
