"""The offline assistant holds the demo conversations: right tool, right arguments, asks when unsure."""

from __future__ import annotations

from tests.devstack.realtime.assistant.talk import Talk


async def test_concierge_hands_a_balance_question_to_telecom_which_answers_it() -> None:
    talk = Talk()
    await talk.start()
    reply = await talk.caller("what is the balance on account a c c one zero zero one")
    assert talk.calls == [
        (
            "handoff_to_agent",
            {"agent": "telecom", "reason": "caller: what is the balance on account a c c one zero zero one"},
        ),
        ("get_account_balance", {"account_id": "ACC-1001"}),
    ]
    assert "Your balance is 55 dollars, due on December 5th; autopay is on." in reply


async def test_missing_account_number_is_asked_for_not_invented() -> None:
    talk = Talk(agent="telecom")
    assert "account number" in await talk.caller("how much do I owe")
    assert talk.calls == []
    assert "82.50 dollars" in await talk.caller("it's a c c one zero zero two")
    assert talk.calls == [("get_account_balance", {"account_id": "ACC-1002"})]


async def test_plan_change_runs_only_after_the_caller_confirms() -> None:
    talk = Talk(agent="telecom")
    question = await talk.caller("switch account a c c one zero zero two to the unlimited plan")
    assert "To confirm" in question and "75 dollars" in question and talk.calls == []
    assert "won't" in await talk.caller("no")
    assert talk.calls == []
    await talk.caller("switch account a c c one zero zero two to the unlimited plan")
    assert "Done" in await talk.caller("yes please")
    assert talk.calls == [("change_plan", {"account_id": "ACC-1002", "plan_id": "unlimited-5g"})]


async def test_a_person_please_escalates_and_never_touches_do_not_call() -> None:
    talk = Talk()
    reply = await talk.caller("a person please")
    assert [name for name, _ in talk.calls] == ["escalate_to_human"] and "colleague" in reply


async def test_do_not_call_needs_a_clear_request_and_a_yes() -> None:
    talk = Talk(agent="outreach")
    await talk.caller("I'm not interested")
    assert talk.calls == []
    assert "stop calling" in await talk.caller("please don't call me again")
    assert talk.calls == []
    await talk.caller("yes")
    assert [name for name, _ in talk.calls] == ["add_to_do_not_call", "end_call"]


async def test_dates_and_spelled_ids_become_tool_arguments() -> None:
    talk = Talk(agent="healthcare")
    reply = await talk.caller("are there any dermatology slots after the third of december")
    assert talk.calls == [("find_appointment_slots", {"specialty": "dermatology", "from_date": "2026-12-03"})] or (
        talk.calls[0][1]["from_date"].endswith("-12-03")
    )
    assert "S 3 0 5" in reply
    await talk.caller("what is the status of prescription r x seven zero zero one")
    await talk.caller("patient p two zero zero one")
    reply = await talk.caller("march fourteenth nineteen eighty four")
    assert talk.calls[-1] == (
        "prescription_refill_status",
        {"patient_id": "P-2001", "date_of_birth": "1984-03-14", "rx_number": "RX-7001"},
    )
    assert "Lisinopril" in reply


async def test_tool_errors_are_spoken_as_such() -> None:
    talk = Talk(agent="telecom")
    reply = await talk.caller("what is my balance for account a c c nine nine nine nine")
    assert "no account ACC-9999" in reply and "repeat" in reply


async def test_goodbye_ends_the_call_after_a_goodbye() -> None:
    talk = Talk(agent="retail")
    reply = await talk.caller("thanks goodbye")
    assert talk.calls == [("end_call", {"reason": "the caller said goodbye"})] and "Goodbye" in reply


async def test_voicemail_greeting_leaves_the_campaign_message() -> None:
    talk = Talk(agent="outreach")
    reply = await talk.caller("hi you've reached maria please leave a message after the tone")
    assert [name for name, _ in talk.calls] == ["voicemail_detected", "end_call"]
    assert "Please call Contoso back." in reply


async def test_unclear_speech_gets_a_question_not_an_action() -> None:
    talk = Talk(agent="telecom")
    reply = await talk.caller("hmm well you know")
    assert talk.calls == [] and "not sure" in reply


async def test_an_id_said_as_digits_alone_answers_the_question_about_it() -> None:
    talk = Talk(agent="telecom")
    assert "account number" in await talk.caller("how much do I owe")
    assert "55 dollars" in await talk.caller("one zero zero one")
    assert talk.calls == [("get_account_balance", {"account_id": "ACC-1001"})]


async def test_digits_alone_are_no_id_when_no_question_asked_for_one() -> None:
    talk = Talk(agent="telecom")
    await talk.caller("one zero zero one")
    assert talk.calls == []


async def test_never_mind_drops_the_question_instead_of_asking_it_again() -> None:
    talk = Talk(agent="telecom")
    assert "account number" in await talk.caller("how much do I owe")
    reply = await talk.caller("never mind")
    assert "anything else" in reply and "account number" not in reply
    assert "55 dollars" in await talk.caller("what is the balance on account a c c one zero zero one")
