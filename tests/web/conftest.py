"""One served tracker (`streamlit run serve.py`) for every HTTP test of the API, on a demo
register with a token per demo account."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from tests.browser.helpers import served
from xchange.accounts import tokens
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.models import User


@dataclass
class Site:
    """The served address, its database URL, and a token secret by name."""

    address: str
    url: str
    secrets: dict[str, str] = field(default_factory=dict)


# name -> owner: one token each, so that counting one (the rate limit) leaves the others alone.
TOKENS = {
    "admin": "admin@demo.eu",
    "officer": "officer@demo.eu",
    "coordinator": "coordinator@demo.eu",
    "revoked": "coordinator@demo.eu",
    "rate": "officer@demo.eu",
    "schema-positive": "admin@demo.eu",
    "schema-negative": "coordinator@demo.eu",
}


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    demo.load_demo(engine, exchanges=300, seed=11)
    secrets: dict[str, str] = {}
    with db.write_session(engine) as session:
        for name, email in TOKENS.items():
            owner = session.exec(select(User).where(User.email == email)).one()
            _, secrets[name] = tokens.create_token(
                session=session, actor=owner, owner_email=email, name=name
            )
        tokens.revoke_token(
            session=session,
            actor=session.exec(select(User).where(User.email == TOKENS["revoked"])).one(),
            owner_email=TOKENS["revoked"],
            name="revoked",
        )
    engine.dispose()
    with served(url) as address:
        yield Site(address, url, secrets)
