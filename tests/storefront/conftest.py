"""The commerce fixtures (a private migrated database with a small catalog) for the storefront tests."""

from tests.commerce.conftest import cconn, commerce_db, commerce_db_factory, commerce_template

__all__ = ["cconn", "commerce_db", "commerce_db_factory", "commerce_template"]
