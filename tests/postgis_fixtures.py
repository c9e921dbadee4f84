"""A real PostGIS server for the tests: every test that takes a store runs on both engines.

The server is the one ``ATLAS_TEST_POSTGRES`` names (a URL whose account may create
databases); ``.ci/run`` starts a throwaway one and sets it. Each test gets a database of
its own, copied from a template (PostGIS already in it, or the whole demo), and dropped
after. Without a server the PostGIS cases skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

SERVER_ENV_VAR = "ATLAS_TEST_POSTGRES"


class PostgisServer:
    def __init__(self, url: str) -> None:
        self.url = url

    def url_of(self, database: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{database}"))

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(sql)

    def create(self, template: str | None = None, name: str | None = None) -> str:
        name = name or f"atlas_test_{uuid.uuid4().hex[:12]}"
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return name

    def drop(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[PostgisServer]:
    url = os.environ.get(SERVER_ENV_VAR)
    if not url:
        message = (f"no PostGIS server for the tests: set {SERVER_ENV_VAR} to a postgresql:// URL whose "
                   "account may create databases (.ci/run starts one)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgisServer(url)
    template = server.create(name=f"atlas_template_{os.getpid()}")
    with psycopg.connect(server.url_of(template), autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        con.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    server.template = template  # type: ignore[attr-defined]
    yield server
    server.drop(template)


@pytest.fixture
def postgis_database(postgis_server: PostgisServer) -> Iterator[str]:
    """The URL of a new, empty database with PostGIS in it, dropped after the test."""
    name = postgis_server.create(template=postgis_server.template)  # type: ignore[attr-defined]
    yield postgis_server.url_of(name)
    postgis_server.drop(name)
