"""First API call with the partner SDK: verify the install callback, exchange its code, and
list the account's pending orders.

Usage: .venv/bin/python examples/sdk_quickstart.py '<callback URL from zentail install>'
"""

import os
import sys

import zentail_partner as partner

PLATFORM_URL = os.environ.get("PARTNER_PLATFORM_URL", "http://127.0.0.1:8000")
APP = partner.AppCredentials(
    client_id="6779ef20e75817b79602",
    client_secret="31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3",
    redirect_uri="http://127.0.0.1:8001/oauth_callback",
)


def main(callback_url: str) -> None:
    callback = partner.verify_callback(callback_url, APP)  # raises InvalidCallback if forged
    with partner.Client(PLATFORM_URL) as zentail:
        token = zentail.call(partner.exchange_code(APP, callback.code))
    with partner.Client(PLATFORM_URL, token.access_token) as zentail:
        for order in zentail.paginate(partner.list_sales_orders(status="PENDING")):
            print(order["orderNumber"], order["channelOrderId"], order["orderTs"])


if __name__ == "__main__":
    main(sys.argv[1])
