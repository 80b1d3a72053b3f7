"""The canonical `make call` examples (quoted by README.md and docs/calls.md), with what each must do.

`tests/devstack/test_call_examples.py` places every example as a real call through the stack with
the offline assistant and checks the tool calls and the spoken answer, so the documentation
cannot drift from what the product does.
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.call import DEFAULT_SENTENCES


@dataclass(frozen=True)
class CallExample:
    command: str  # as typed
    says: tuple[str, ...]  # what the simulated caller says
    tools: tuple[tuple[str, dict[str, str]], ...]  # tool calls that must happen, in order (arguments: subset)
    must_say: tuple[str, ...]  # what the agent must say
    outbound_agent: str = ""  # set for --outbound examples

    @property
    def lines(self) -> list[str]:
        return list(self.says)


EXAMPLES = (
    CallExample(
        "make call",
        DEFAULT_SENTENCES,
        (
            ("handoff_to_agent", {"agent": "telecom"}),
            ("get_account_balance", {"account_id": "ACC-1001"}),
            ("end_call", {}),
        ),
        ("Your balance is 55 dollars, due on December 5th", "Goodbye"),
    ),
    CallExample(
        'make call ARGS=\'--say "I want to return my jacket" --say "goodbye"\'',
        ("I want to return my jacket", "goodbye"),
        (("handoff_to_agent", {"agent": "retail"}), ("end_call", {})),
        ("order number",),
    ),
    CallExample(
        'make call ARGS=\'--say "What is the balance on account A C C one zero zero one" --say "goodbye"\'',
        ("What is the balance on account A C C one zero zero one", "goodbye"),
        (("handoff_to_agent", {"agent": "telecom"}), ("get_account_balance", {"account_id": "ACC-1001"})),
        ("Your balance is 55 dollars",),
    ),
    CallExample(
        "make call ARGS='--say \"a person, please\"'",
        ("a person, please",),
        (("escalate_to_human", {}),),
        ("connecting you to a colleague",),
    ),
    CallExample(
        "make call ARGS='--outbound +14255550123 --agent telecom'",
        DEFAULT_SENTENCES,
        (("get_account_balance", {"account_id": "ACC-1001"}), ("end_call", {})),
        ("Your balance is 55 dollars",),
        outbound_agent="telecom",
    ),
)
