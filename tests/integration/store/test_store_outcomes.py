"""Outcomes on both backends: the allowed transitions, reasons from the list, idempotency keys, racing reps."""

from __future__ import annotations

import threading

import pytest
from store_cases import Put

from serving.store import (
    TRANSITIONS,
    BadOutcome,
    KeyReused,
    LeadNotFound,
    LeadStore,
    OutcomeIn,
    RecordedOutcome,
    TransitionRefused,
    get_lead,
    outcome_events,
    record_outcome,
)

REASONS = ["bad fit", "no budget", "spam"]
PATHS = [["accepted"], ["rejected"], ["accepted", "won"], ["accepted", "lost"]]


def outcome(name: str) -> OutcomeIn:
    return OutcomeIn(name, reason="no budget" if name == "rejected" else None)


@pytest.mark.parametrize("path", PATHS, ids="->".join)
def test_allowed_paths_move_the_status_and_log_each_event(
    lead_store: LeadStore, put: Put, path: list[str]
) -> None:
    put(("L1", 80))
    for step in path:
        record_outcome(lead_store, "L1", outcome(step), reasons=REASONS)
    lead = get_lead(lead_store, "L1")
    assert lead is not None and lead.status == path[-1]
    events = outcome_events(lead_store, "L1")
    assert [(e.from_status, e.outcome) for e in events] == list(zip(["new", *path[:-1]], path, strict=True))


def test_every_transition_not_in_the_table_is_refused_naming_both_states(
    lead_store: LeadStore, put: Put
) -> None:
    reach = {"new": [], "accepted": ["accepted"], "rejected": ["rejected"], "won": ["accepted", "won"]}
    reach["lost"] = ["accepted", "lost"]
    for state, path in reach.items():
        lead_id = f"L-{state}"
        put((lead_id, 70))
        for step in path:
            record_outcome(lead_store, lead_id, outcome(step), reasons=REASONS)
        for wanted in ("accepted", "rejected", "won", "lost"):
            if wanted in TRANSITIONS[state]:
                continue
            with pytest.raises(TransitionRefused, match=f"is {state}: {state} -> {wanted} is not allowed"):
                record_outcome(lead_store, lead_id, outcome(wanted), reasons=REASONS)
        lead = get_lead(lead_store, lead_id)
        assert lead is not None and lead.status == state
        assert len(outcome_events(lead_store, lead_id)) == len(path)


def test_unknown_lead(lead_store: LeadStore) -> None:
    with pytest.raises(LeadNotFound, match="'nobody' not found"):
        record_outcome(lead_store, "nobody", OutcomeIn("accepted"), reasons=REASONS)


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        (OutcomeIn("rejected"), "reason", "required when rejecting"),
        (OutcomeIn("rejected", reason="  "), "reason", "required when rejecting"),
        (
            OutcomeIn("rejected", reason="too expensive"),
            "reason",
            "'too expensive' is not a rejection reason",
        ),
        (OutcomeIn("maybe"), "outcome", "expected one of accepted, rejected, won, lost"),
    ],
)
def test_malformed_outcomes_name_the_field(
    lead_store: LeadStore, put: Put, given: OutcomeIn, field: str, message: str
) -> None:
    put(("L1", 80))
    with pytest.raises(BadOutcome, match=message) as caught:
        record_outcome(lead_store, "L1", given, reasons=REASONS)
    assert caught.value.field == field
    assert outcome_events(lead_store, "L1") == []


def test_a_retry_with_the_same_key_returns_the_first_event(lead_store: LeadStore, put: Put) -> None:
    put(("L1", 80))
    given = OutcomeIn("rejected", reason="spam", note="bot signup", actor="ana")
    first = record_outcome(lead_store, "L1", given, reasons=REASONS, key="k-1")
    again = record_outcome(lead_store, "L1", given, reasons=REASONS, key="k-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.event_id == first.event_id and again.at == first.at and again.from_status == "new"
    assert len(outcome_events(lead_store, "L1")) == 1


def test_a_key_reused_for_something_else_is_refused(lead_store: LeadStore, put: Put) -> None:
    put(("L1", 80), ("L2", 80))
    record_outcome(lead_store, "L1", OutcomeIn("accepted"), reasons=REASONS, key="k-1")
    with pytest.raises(KeyReused, match="'k-1' was already used for accepted on lead 'L1'"):
        record_outcome(lead_store, "L2", OutcomeIn("accepted"), reasons=REASONS, key="k-1")
    with pytest.raises(KeyReused):
        record_outcome(lead_store, "L1", OutcomeIn("accepted", note="other"), reasons=REASONS, key="k-1")
    lead = get_lead(lead_store, "L2")
    assert lead is not None and lead.status == "new"


def test_two_reps_at_once_one_outcome_wins(lead_store: LeadStore, put: Put) -> None:
    """Accept and reject raced on the same new lead: exactly one is recorded, the other is refused."""
    put(("L1", 80))
    start = threading.Barrier(2)
    results: dict[str, str] = {}

    def try_outcome(name: str) -> None:
        start.wait()
        try:
            record_outcome(lead_store, "L1", outcome(name), reasons=REASONS)
            results[name] = "recorded"
        except TransitionRefused:
            results[name] = "refused"

    threads = [threading.Thread(target=try_outcome, args=(n,)) for n in ("accepted", "rejected")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["recorded", "refused"]
    events = outcome_events(lead_store, "L1")
    lead = get_lead(lead_store, "L1")
    assert len(events) == 1 and lead is not None and lead.status == events[0].outcome


def test_one_key_sent_to_two_replicas_at_once_records_one_outcome(lead_store: LeadStore, put: Put) -> None:
    """Two replicas (each its own engine on the same database) get the same retry at the same moment, lead after
    lead: each lead gets one event, one answer records it and the other replays it; none fails."""
    leads = [f"L{i}" for i in range(25)]
    put(*[(lead_id, 80) for lead_id in leads])
    replicas = [LeadStore(lead_store.url), LeadStore(lead_store.url)]
    for replica_store in replicas:
        replica_store.migrate()  # at head already: each replica checks once, as at its start
    start = threading.Barrier(2)
    answers: dict[int, list[object]] = {0: [], 1: []}

    def replica(number: int) -> None:
        for lead_id in leads:
            start.wait()
            try:
                answers[number].append(
                    record_outcome(
                        replicas[number], lead_id, outcome("accepted"), reasons=REASONS, key=f"k-{lead_id}"
                    )
                )
            except Exception as error:  # the test reports it below instead of hanging the other thread
                answers[number].append(error)

    threads = [threading.Thread(target=replica, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica_store in replicas:
        replica_store.close()
    failed = [a for a in answers[0] + answers[1] if isinstance(a, Exception)]
    assert failed == []
    for lead_id, one, other in zip(leads, answers[0], answers[1], strict=True):
        assert isinstance(one, RecordedOutcome) and isinstance(other, RecordedOutcome)
        assert one.event_id == other.event_id and sorted([one.replayed, other.replayed]) == [False, True]
        assert [e.event_id for e in outcome_events(lead_store, lead_id)] == [one.event_id]
