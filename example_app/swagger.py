"""Swagger UI assets: served by the app itself when ``swagger-ui-bundle`` is installed.

``pip install -e '.[example]'`` brings the package, and the UI then works
offline. Without it, the UI loads its assets from a CDN.
"""
from __future__ import annotations

from flask import Blueprint, Flask

ASSETS_URL_PATH = "/swagger-ui-assets"
CDN_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"


def local_assets_folder() -> str | None:
    """The folder of the bundled Swagger UI files, or ``None`` when not installed."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return str(swagger_ui_bundle.swagger_ui_path)


def configure_swagger_ui(app: Flask) -> bool:
    """Point ``OPENAPI_SWAGGER_UI_URL`` at local assets (True) or at the CDN (False).

    Call before ``Api.init_app``. A URL the host configured is kept.
    """
    folder = local_assets_folder()
    if folder is None:
        app.config.setdefault("OPENAPI_SWAGGER_UI_URL", CDN_URL)
        return False
    app.register_blueprint(
        Blueprint(
            "example_swagger_ui_assets",
            __name__,
            static_folder=folder,
            static_url_path=ASSETS_URL_PATH,
        )
    )
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", f"{ASSETS_URL_PATH}/")
    return True
