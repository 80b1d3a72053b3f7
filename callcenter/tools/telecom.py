"""Telecommunications pack: balances, usage, outages, plans and trouble tickets."""

from __future__ import annotations

from typing import Any

from callcenter.tools.demo_data import demo_store, reference
from callcenter.tools.registry import Tool, ToolContext, ToolError

PACK = "telecom"

_ACCOUNT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "account_id": {
            "type": "string",
            "pattern": "^ACC-[0-9]{4}$",
            "description": "Account id, e.g. ACC-1001",
        }
    },
    "required": ["account_id"],
    "additionalProperties": False,
}


def _account(account_id: str) -> dict[str, Any]:
    account = demo_store().find(PACK, "accounts", "account_id", account_id)
    if account is None:
        raise ToolError(f"no account {account_id}; ask the caller to repeat the account number", code="not_found")
    return account


def _plan(plan_id: str) -> dict[str, Any] | None:
    return demo_store().find(PACK, "plans", "id", plan_id)


async def get_account_balance(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    account = _account(args["account_id"])
    return {
        "account_id": account["account_id"],
        "name": account["name"],
        "balance": account["balance"],
        "currency": "USD",
        "due_date": account["due_date"],
        "autopay": account["autopay"],
        "last_payment": account["last_payment"],
    }


async def get_data_usage(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    account = _account(args["account_id"])
    plan = _plan(account["plan_id"]) or {}
    allowance = plan.get("data_gb")
    return {
        "account_id": account["account_id"],
        "plan": plan.get("name"),
        "data_used_gb": account["data_used_gb"],
        "data_allowance_gb": allowance if allowance is not None else "unlimited",
        "percent_used": None if allowance is None else round(100 * account["data_used_gb"] / allowance, 1),
    }


async def check_outage(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    zip_code = args["zip_code"]
    outages = [o for o in demo_store().section(PACK)["outages"] if o["zip_code"] == zip_code]
    return {"zip_code": zip_code, "outage": bool(outages), "outages": outages}


async def list_plans(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"plans": demo_store().section(PACK)["plans"]}


async def change_plan(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    plan = _plan(args["plan_id"])
    if plan is None:
        raise ToolError(f"no plan {args['plan_id']}; offer the plans from list_plans", code="not_found")
    store = demo_store()
    with store.lock:
        account = _account(args["account_id"])
        previous = account["plan_id"]
        if previous == plan["id"]:
            return {"changed": False, "message": f"the account is already on {plan['name']}"}
        account["plan_id"] = plan["id"]
    return {
        "changed": True,
        "account_id": account["account_id"],
        "previous_plan": previous,
        "new_plan": plan["name"],
        "monthly_price": plan["monthly_price"],
        "effective": "next billing cycle",
        "confirmation": reference("PLN", account["account_id"], previous, plan["id"]),
    }


async def report_technical_issue(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    account = _account(args["account_id"])
    ticket = reference("TKT", account["account_id"], args["category"], args["description"])
    return {
        "ticket_id": ticket,
        "account_id": account["account_id"],
        "category": args["category"],
        "priority": "high" if args["category"] == "no service" else "normal",
        "next_step": "a technician reviews the ticket within 4 business hours",
    }


def tools() -> list[Tool]:
    return [
        Tool(
            "get_account_balance",
            "Look up a telecom account's balance, due date and last payment.",
            _ACCOUNT,
            get_account_balance,
            pack=PACK,
        ),
        Tool(
            "get_data_usage",
            "How much mobile data the account used this cycle against its allowance.",
            _ACCOUNT,
            get_data_usage,
            pack=PACK,
        ),
        Tool(
            "check_outage",
            "Check for a known network outage at a US ZIP code.",
            {
                "type": "object",
                "properties": {"zip_code": {"type": "string", "pattern": "^[0-9]{5}$"}},
                "required": ["zip_code"],
                "additionalProperties": False,
            },
            check_outage,
            pack=PACK,
        ),
        Tool(
            "list_plans",
            "List the mobile plans a customer can switch to, with prices.",
            {"type": "object", "properties": {}, "additionalProperties": False},
            list_plans,
            pack=PACK,
        ),
        Tool(
            "change_plan",
            "Move an account to another plan from list_plans, after the caller confirmed the price.",
            {
                "type": "object",
                "properties": {
                    "account_id": _ACCOUNT["properties"]["account_id"],
                    "plan_id": {"type": "string", "description": "Plan id from list_plans"},
                },
                "required": ["account_id", "plan_id"],
                "additionalProperties": False,
            },
            change_plan,
            pack=PACK,
        ),
        Tool(
            "report_technical_issue",
            "Open a trouble ticket for a technical problem the agent could not solve.",
            {
                "type": "object",
                "properties": {
                    "account_id": _ACCOUNT["properties"]["account_id"],
                    "category": {"enum": ["no service", "slow data", "dropped calls", "billing system", "other"]},
                    "description": {"type": "string", "minLength": 3, "maxLength": 500},
                },
                "required": ["account_id", "category", "description"],
                "additionalProperties": False,
            },
            report_technical_issue,
            pack=PACK,
        ),
    ]
