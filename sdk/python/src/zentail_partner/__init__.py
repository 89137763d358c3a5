"""The partner SDK: verify the install callback, exchange its code, call the Open API.

The ``zentail-partner`` distribution (``pip install ./sdk/python``) needs only httpx; it
never imports the platform's server packages. A typical partner backend::

    import zentail_partner as partner

    app = partner.AppCredentials(client_id, client_secret, "https://you.example/oauth_callback")

    # GET /oauth_callback?client_id=…&code=…&timestamp=…&hmac=…
    callback = partner.verify_callback(str(request.url), app)        # InvalidCallback if forged
    with partner.Client("https://api.zentail.example") as zentail:
        token = zentail.call(partner.exchange_code(app, callback.code))
    # store token.access_token for this Zentail account, then:
    with partner.Client("https://api.zentail.example", token.access_token) as zentail:
        for order in zentail.paginate(partner.list_sales_orders(status="PENDING")):
            print(order["orderNumber"])

Each endpoint is a function returning an :class:`Operation`; :class:`Client` and
:class:`AsyncClient` run it (``call``) or walk its pages (``paginate``, ``pages``). Errors are
one tree under :class:`ZentailError` (see ``zentail_partner._errors``). docs/sdk.md has more.
"""

from contextlib import suppress as _suppress

from zentail_partner._assertion import PrivateKeySigner
from zentail_partner._callback import AppCredentials, InstallCallback, verify_callback
from zentail_partner._client import AsyncClient, Client
from zentail_partner._endpoints import (
    Timestamp,
    cancel_sales_order,
    create_sales_order,
    create_shipments,
    get_inventory,
    get_listing,
    get_sales_order,
    list_inventory,
    list_listings,
    list_sales_orders,
    list_warehouses,
    mark_paid,
    update_inventory,
)
from zentail_partner._errors import (
    ApiError,
    FieldError,
    InvalidCallback,
    InvalidClient,
    InvalidGrant,
    InvalidWebhook,
    RateLimited,
    TokenExchangeError,
    TransportError,
    UnexpectedResponse,
    ZentailError,
)
from zentail_partner._models import (
    Address,
    InventoryItem,
    InventoryLevel,
    InventoryUpdate,
    InventoryUpdateResult,
    LineItem,
    Listing,
    ListingImage,
    ListingVariant,
    NewLineItem,
    NewSalesOrder,
    OrderStatus,
    OrderStatusChange,
    Package,
    PackageItem,
    Prop65,
    SalesOrder,
    Shipment,
    ShipmentsResult,
    Warehouse,
    WarehouseStock,
)
from zentail_partner._operation import Operation, Page
from zentail_partner._retry import RetryPolicy
from zentail_partner._token import (
    AccessToken,
    basic_authorization,
    exchange_code,
    refresh_access_token,
)
from zentail_partner._webhooks import WebhookEvent, verify_webhook

__all__ = [
    "AccessToken",
    "Address",
    "ApiError",
    "AppCredentials",
    "AsyncClient",
    "Client",
    "FieldError",
    "InstallCallback",
    "InvalidCallback",
    "InvalidClient",
    "InvalidGrant",
    "InvalidWebhook",
    "InventoryItem",
    "InventoryLevel",
    "InventoryUpdate",
    "InventoryUpdateResult",
    "LineItem",
    "Listing",
    "ListingImage",
    "ListingVariant",
    "NewLineItem",
    "NewSalesOrder",
    "Operation",
    "OrderStatus",
    "OrderStatusChange",
    "Package",
    "PackageItem",
    "Page",
    "PrivateKeySigner",
    "Prop65",
    "RateLimited",
    "RetryPolicy",
    "SalesOrder",
    "Shipment",
    "ShipmentsResult",
    "Timestamp",
    "TokenExchangeError",
    "TransportError",
    "UnexpectedResponse",
    "Warehouse",
    "WarehouseStock",
    "WebhookEvent",
    "ZentailError",
    "basic_authorization",
    "cancel_sales_order",
    "create_sales_order",
    "create_shipments",
    "exchange_code",
    "get_inventory",
    "get_listing",
    "get_sales_order",
    "list_inventory",
    "list_listings",
    "list_sales_orders",
    "list_warehouses",
    "mark_paid",
    "refresh_access_token",
    "update_inventory",
    "verify_callback",
    "verify_webhook",
]

# Show the public path in reprs and tracebacks, as httpx does ("zentail_partner.Client").
for _name in __all__:
    with _suppress(AttributeError, TypeError):  # aliases (Literal[...], unions) keep theirs
        globals()[_name].__module__ = __name__
