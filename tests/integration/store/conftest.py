"""The `put` fixture: leads stored in one call, by id and score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from store_cases import Put, grade, scored

from serving.store import IncomingLead, LeadStore, StoredLead, ingest


@pytest.fixture
def put(lead_store: LeadStore) -> Put:
    """Store leads given as (id, score), (id, score, payload) or (id, score, payload, probability), probability
    score/100 unless given, at `now` if given."""

    def store(*leads: tuple[Any, ...], now: datetime | None = None) -> list[StoredLead]:
        incoming = []
        for lead in leads:
            lead_id, score = lead[0], lead[1]
            payload = lead[2] if len(lead) > 2 else {}
            probability = lead[3] if len(lead) > 3 else score / 100
            incoming.append(
                IncomingLead(
                    lead_id, {"lead_id": lead_id, **payload}, scored(probability, score, grade(score))
                )
            )
        return ingest(lead_store, incoming, now=now)

    return store
