"""``python -m examples.partner_app``: serve the example partner app (see README.md)."""

from __future__ import annotations

import logging

import uvicorn

from examples.partner_app.app import create_app
from examples.partner_app.config import DEV_SECRET_KEY, Config


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = Config.from_env()
    if config.secret_key == DEV_SECRET_KEY:
        logging.getLogger("partner_app").warning(
            "PARTNER_SECRET_KEY is not set: using the development key (fine for the sandbox)"
        )
    print(f"partner app on http://{config.host}:{config.port}/ (platform {config.platform_url})")
    shown = config.password if config.password == Config.password else "(PARTNER_PASSWORD)"
    print(f"  log in as {config.username} / {shown}")
    # access_log=False: the access log would print /oauth_callback?…&code=… in the clear.
    uvicorn.run(create_app(config), host=config.host, port=config.port, access_log=False)


if __name__ == "__main__":
    main()
