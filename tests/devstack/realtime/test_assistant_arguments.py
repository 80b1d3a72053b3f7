"""The offline assistant turns spoken codes into arguments that satisfy the tools' schemas."""

from __future__ import annotations

from devstack.realtime.agents import choose_tool, fill_arguments, spoken_tokens


def tool(**properties: dict) -> dict:
    return {"name": "t", "parameters": {"type": "object", "properties": properties, "required": list(properties)}}


def test_spoken_digits_and_spelled_letters_are_joined() -> None:
    assert spoken_tokens("account a c c one zero zero one please") == ["account", "acc", "1001", "please"]
    assert spoken_tokens("zip 98101") == ["zip", "98101"]


def test_codes_are_fitted_to_the_tools_patterns() -> None:
    account = tool(account_id={"type": "string", "pattern": "^ACC-[0-9]{4}$"})
    assert fill_arguments("my balance for account a c c one zero zero one", account) == {"account_id": "ACC-1001"}
    assert fill_arguments("balance of account 1002", account) == {"account_id": "ACC-1002"}
    order = tool(
        order_id={"type": "string", "pattern": "^ORD-[0-9]{4}$"}, zip_code={"type": "string", "pattern": "^[0-9]{5}$"}
    )
    said = "where is order nine zero zero one, zip nine eight zero five two"
    assert fill_arguments(said, order) == {"order_id": "ORD-9001", "zip_code": "98052"}


def test_enums_and_free_text_fall_back_sensibly() -> None:
    specialty = tool(specialty={"enum": ["primary care", "dermatology", "cardiology"]})
    assert fill_arguments("I need a dermatology appointment", specialty) == {"specialty": "dermatology"}
    note = tool(description={"type": "string"})
    assert fill_arguments("my router keeps rebooting", note) == {"description": "my router keeps rebooting"}


def test_the_tool_sharing_most_words_is_chosen() -> None:
    tools = [
        {"name": "check_outage", "description": "Check for a known network outage at a ZIP code"},
        {"name": "get_account_balance", "description": "Look up a telecom account's balance"},
    ]
    assert choose_tool("is there an outage in my area", tools)["name"] == "check_outage"
    assert choose_tool("what is my account balance", tools)["name"] == "get_account_balance"
    assert choose_tool("hello there", tools) is None
