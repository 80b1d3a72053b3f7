"""Property tests of the callback handler's event conversion: a payload for the orchestration, or `InvalidInput`."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.calls import ACS_EVENT_PREFIX as PREFIX
from callcenter.errors import InvalidInput
from callcenter.telephony.callbacks import KEPT_FIELDS, to_call_event

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
KINDS = st.sampled_from(["CallConnected", "CallDisconnected", "PlayCompleted", "CallTransferFailed", "X"])


@settings(max_examples=500)
@given(JSON | st.dictionaries(st.sampled_from(["id", "type", "data", "source", "specversion"]), JSON))
def test_any_json_gives_a_payload_or_invalid_input(value: object) -> None:
    try:
        event_id, payload = to_call_event(value)
    except InvalidInput as error:
        assert error.status == 400
        return
    assert isinstance(event_id, str)
    assert payload is None or isinstance(payload["kind"], str)
    json.dumps(payload)  # the payload must travel as an orchestration event


@settings(max_examples=300)
@given(
    st.text(min_size=1, max_size=40),
    KINDS,
    st.dictionaries(st.sampled_from([*KEPT_FIELDS, "participants", "kind", "extra"]), JSON, max_size=7),
)
def test_a_cloud_event_round_trips_to_its_kind_and_kept_fields(event_id: str, kind: str, data: dict) -> None:
    cloud_event = {"id": event_id, "type": PREFIX + kind, "source": "calling/x", "specversion": "1.0", "data": data}
    converted_id, payload = to_call_event(json.loads(json.dumps(cloud_event)))
    assert converted_id == event_id
    if kind == "X":  # a kind the call lifecycle does not know is acknowledged, not raised
        assert payload is None
    else:
        assert payload == {"kind": kind, **{k: data[k] for k in KEPT_FIELDS if k in data}}


def test_a_cloud_event_keeps_its_own_time() -> None:
    cloud_event = {"id": "e1", "type": PREFIX + "CallConnected", "time": "2026-01-02T03:04:05Z", "data": {}}
    _, payload = to_call_event(cloud_event)
    assert payload == {"kind": "CallConnected", "time": "2026-01-02T03:04:05Z"}


@given(st.text(max_size=40).filter(lambda t: not t.startswith(PREFIX)))
def test_events_from_other_sources_are_refused(kind: str) -> None:
    try:
        to_call_event({"id": "1", "type": kind, "data": {}})
    except InvalidInput:
        return
    raise AssertionError(f"{kind!r} was accepted")
