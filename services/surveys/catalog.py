"""Which instruments a tenant has: the standard CAIP ones (every tenant, from the start) and its own."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from services.common.errors import Conflict, NotFound
from services.common.mongo import TenantStore
from services.surveys import storage
from services.surveys.instrument_schema import dump_instrument, load_instrument
from services.surveys.instruments import Instrument
from services.surveys.standard import standard_instrument_for, standard_instruments
from services.surveys.storage import Db


def listing(db: Db) -> list[dict]:
    """Every instrument the tenant can use, standard ones first, each marked ``standard`` or not."""
    standard = [{**dump_instrument(each), "standard": True} for each in standard_instruments()]
    own = [{**doc["instrument"], "standard": False} for doc in storage.own_instruments(db)]
    return standard + own


def add(store: TenantStore, posted: dict) -> dict:
    """Validate and store a tenant's instrument; Conflict if its key is taken (ValidationError if bad)."""
    instrument = load_instrument(posted)
    if any(each.key == instrument.key for each in standard_instruments()):
        # standard keys belong to the platform: a tenant's version of one would shadow its next release
        raise Conflict(f"{instrument.key} is a standard instrument", fields={"key": ["Already exists."]})
    definition = dump_instrument(instrument)
    try:
        with store.transaction() as tx:  # even a lone write: outside one, nx-27017 joins another's
            storage.insert_instrument(tx, definition)
    except DuplicateKeyError:
        raise Conflict(f"{instrument.key} version {instrument.version} exists",
                       fields={"version": ["Already exists."]}) from None
    return {**definition, "standard": False}


def instrument_for(db: Db, wave: str, role: str) -> Instrument:
    """What a ``role`` is asked at ``wave`` now: the latest version of the council's own instrument
    for that wave and role, else the standard one. An invitation pins the one chosen."""
    docs = sorted(storage.own_instruments(db), key=lambda doc: doc["created_at"])  # the latest added wins
    fitting = [each for each in map(lambda doc: load_instrument(doc["instrument"]), docs)
               if each.wave == wave and role in each.roles]
    return fitting[-1] if fitting else standard_instrument_for(wave)


def find(db: Db, key: str, version: int) -> Instrument:
    """The instrument an invitation was made for (NotFound if it is gone)."""
    for each in standard_instruments():
        if (each.key, each.version) == (key, version):
            return each
    doc = storage.own_instrument(db, key, version)
    if doc is None:
        raise NotFound(f"no instrument {key} version {version}")
    return load_instrument(doc["instrument"])
