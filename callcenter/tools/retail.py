"""Retail pack: order status, returns, product availability and store hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from callcenter.tools.demo_data import demo_store, reference
from callcenter.tools.registry import Tool, ToolContext, ToolError

PACK = "retail"

_ORDER = {"type": "string", "pattern": "^ORD-[0-9]{4}$", "description": "Order number, e.g. ORD-9001"}
_ZIP = {"type": "string", "pattern": "^[0-9]{5}$", "description": "ZIP code of the delivery address"}


def _verified_order(args: dict[str, Any]) -> dict[str, Any]:
    order = demo_store().find(PACK, "orders", "order_id", args["order_id"])
    if order is None or order["zip_code"] != args["zip_code"]:
        raise ToolError("order number and ZIP code do not match; ask the caller to repeat them", code="not_verified")
    return order


def _product(sku: str) -> dict[str, Any]:
    product = demo_store().find(PACK, "products", "sku", sku)
    if product is None:
        raise ToolError(f"no product {sku}", code="not_found")
    return product


async def order_status(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    order = _verified_order(args)
    items = [{"sku": i["sku"], "name": _product(i["sku"])["name"], "qty": i["qty"]} for i in order["items"]]
    keys = ("order_id", "status", "carrier", "tracking", "placed_at", "estimated_delivery", "delivered_at")
    return {**{k: order[k] for k in keys}, "items": items}


async def start_return(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    order = _verified_order(args)
    if args["sku"] not in {i["sku"] for i in order["items"]}:
        raise ToolError(f"{args['sku']} is not part of order {order['order_id']}", code="not_in_order")
    if order["delivered_at"] is None:
        return {
            "eligible": False,
            "reason": "the order has not been delivered yet; it can be refused at delivery",
        }
    window = demo_store().section(PACK)["return_window_days"]
    age = (datetime.now(UTC).date() - date.fromisoformat(order["delivered_at"])).days
    if age > window:
        return {"eligible": False, "reason": f"delivered {age} days ago; the return window is {window} days"}
    rma = reference("RMA", order["order_id"], args["sku"])
    refund = _product(args["sku"])["price"]
    return {
        "eligible": True,
        "return_id": rma,
        "refund_amount": refund,
        "reason": args["reason"],
        "label": "a prepaid return label is e-mailed to the address on the order",
    }


async def product_availability(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    product = _product(args["sku"])
    stores = {s["store_id"]: s["name"] for s in demo_store().section(PACK)["stores"]}
    stock = [
        {"where": stores.get(place, "online"), "quantity": qty, "in_stock": qty > 0}
        for place, qty in product["stock"].items()
    ]
    return {"sku": product["sku"], "name": product["name"], "price": product["price"], "availability": stock}


async def search_products(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    words = args["query"].lower().split()
    matches = [
        {"sku": p["sku"], "name": p["name"], "price": p["price"]}
        for p in demo_store().section(PACK)["products"]
        if any(word in p["name"].lower() for word in words)
    ]
    return {"query": args["query"], "products": matches}


async def store_hours(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    store = demo_store().find(PACK, "stores", "store_id", args["store_id"])
    if store is None:
        raise ToolError(f"no store {args['store_id']}", code="not_found")
    return {
        "store_id": store["store_id"],
        "name": store["name"],
        "timezone": store["timezone"],
        "hours": store["hours"],
    }


def tools() -> list[Tool]:
    verified = {"order_id": _ORDER, "zip_code": _ZIP}
    return [
        Tool(
            "order_status",
            "Status, carrier and tracking of an order (needs order number and ZIP code).",
            {
                "type": "object",
                "properties": verified,
                "required": ["order_id", "zip_code"],
                "additionalProperties": False,
            },
            order_status,
            pack=PACK,
        ),
        Tool(
            "start_return",
            "Start a return of one item of a delivered order within the return window.",
            {
                "type": "object",
                "properties": {
                    **verified,
                    "sku": {"type": "string"},
                    "reason": {"enum": ["wrong size", "damaged", "not as described", "changed mind"]},
                },
                "required": ["order_id", "zip_code", "sku", "reason"],
                "additionalProperties": False,
            },
            start_return,
            pack=PACK,
        ),
        Tool(
            "product_availability",
            "Price and stock of a product in stores and online.",
            {
                "type": "object",
                "properties": {"sku": {"type": "string"}},
                "required": ["sku"],
                "additionalProperties": False,
            },
            product_availability,
            pack=PACK,
        ),
        Tool(
            "search_products",
            "Find products by words in their name.",
            {
                "type": "object",
                "properties": {"query": {"type": "string", "minLength": 2, "maxLength": 100}},
                "required": ["query"],
                "additionalProperties": False,
            },
            search_products,
            pack=PACK,
        ),
        Tool(
            "store_hours",
            "Opening hours of a store (ST-1 Seattle, ST-2 Portland).",
            {
                "type": "object",
                "properties": {"store_id": {"type": "string", "pattern": "^ST-[0-9]+$"}},
                "required": ["store_id"],
                "additionalProperties": False,
            },
            store_hours,
            pack=PACK,
        ),
    ]
