"""The recognition benchmark's fixed phrase set: what callers say, in the words they say it.

Each phrase: (agent answering, what the caller says, expected move, expected arguments). The move
is a tool name, `handoff:<agent>`, or a conversational move (`yes`, `no`, `goodbye`). Arguments are
the values the tool must receive. Wordings were written for the benchmark, not taken from the
assistant's language-model templates, so the figures measure generalisation
(`tests/bench/test_recognition_phrases.py` keeps it so).
"""

from __future__ import annotations

from typing import Any

Phrase = tuple[str, str, str, dict[str, Any]]

PHRASES: list[Phrase] = [
    # telecom: balance
    (
        "telecom",
        "what is my balance on account a c c one zero zero one",
        "get_account_balance",
        {"account_id": "ACC-1001"},
    ),
    (
        "telecom",
        "how much money do i owe for account a c c one zero zero two",
        "get_account_balance",
        {"account_id": "ACC-1002"},
    ),
    (
        "telecom",
        "can you tell me the balance for account a c c one zero zero three",
        "get_account_balance",
        {"account_id": "ACC-1003"},
    ),
    (
        "telecom",
        "when is my bill due for account a c c one zero zero four",
        "get_account_balance",
        {"account_id": "ACC-1004"},
    ),
    ("telecom", "i want to check my balance please", "get_account_balance", {}),
    ("telecom", "what do i owe this month", "get_account_balance", {}),
    ("telecom", "balance for account one zero zero two", "get_account_balance", {"account_id": "ACC-1002"}),
    # telecom: data usage
    (
        "telecom",
        "how much data have i used on account a c c one zero zero one",
        "get_data_usage",
        {"account_id": "ACC-1001"},
    ),
    ("telecom", "what is my data usage this month", "get_data_usage", {}),
    (
        "telecom",
        "check the data usage on account a c c one zero zero three",
        "get_data_usage",
        {"account_id": "ACC-1003"},
    ),
    (
        "telecom",
        "how many gigabytes did i use on account a c c one zero zero four",
        "get_data_usage",
        {"account_id": "ACC-1004"},
    ),
    ("telecom", "how much data is left", "get_data_usage", {}),
    # telecom: outage
    ("telecom", "is the network down in zip code nine eight one zero one", "check_outage", {"zip_code": "98101"}),
    (
        "telecom",
        "my internet is down is there an outage in nine eight two two five",
        "check_outage",
        {"zip_code": "98225"},
    ),
    ("telecom", "is the network down in my area", "check_outage", {}),
    ("telecom", "check for an outage at nine eight zero five two", "check_outage", {"zip_code": "98052"}),
    ("telecom", "is there an outage in zip nine eight one zero nine", "check_outage", {"zip_code": "98109"}),
    # telecom: plans
    ("telecom", "what plans do you offer", "list_plans", {}),
    ("telecom", "which plans could i move to", "list_plans", {}),
    ("telecom", "tell me about your plans and prices", "list_plans", {}),
    (
        "telecom",
        "switch account a c c one zero zero two to the unlimited plan",
        "change_plan",
        {"account_id": "ACC-1002", "plan_id": "unlimited-5g"},
    ),
    ("telecom", "i want to upgrade to the plus plan", "change_plan", {"plan_id": "plus-5g"}),
    (
        "telecom",
        "change my plan to basic on account a c c one zero zero four",
        "change_plan",
        {"account_id": "ACC-1004", "plan_id": "basic-5g"},
    ),
    ("telecom", "please switch me to the family plan", "change_plan", {"plan_id": "family-4"}),
    (
        "telecom",
        "downgrade account a c c one zero zero three to basic",
        "change_plan",
        {"account_id": "ACC-1003", "plan_id": "basic-5g"},
    ),
    # telecom: tickets
    ("telecom", "my calls keep getting dropped", "report_technical_issue", {"category": "dropped calls"}),
    (
        "telecom",
        "my data is really slow on account a c c one zero zero one",
        "report_technical_issue",
        {"account_id": "ACC-1001", "category": "slow data"},
    ),
    ("telecom", "i have no service at all", "report_technical_issue", {"category": "no service"}),
    ("telecom", "please open a ticket my calls keep dropping", "report_technical_issue", {"category": "dropped calls"}),
    ("telecom", "i want to report a problem with slow data", "report_technical_issue", {"category": "slow data"}),
    # healthcare: slots
    ("healthcare", "i need an appointment with dermatology", "find_appointment_slots", {"specialty": "dermatology"}),
    ("healthcare", "are there any cardiology slots", "find_appointment_slots", {"specialty": "cardiology"}),
    (
        "healthcare",
        "i need a primary care appointment after the fifth of december",
        "find_appointment_slots",
        {"specialty": "primary care", "from_date": "2026-12-05"},
    ),
    (
        "healthcare",
        "when could i get in to see a dermatologist",
        "find_appointment_slots",
        {"specialty": "dermatology"},
    ),
    (
        "healthcare",
        "find me a cardiology appointment after december third",
        "find_appointment_slots",
        {"specialty": "cardiology", "from_date": "2026-12-03"},
    ),
    ("healthcare", "are there openings in primary care", "find_appointment_slots", {"specialty": "primary care"}),
    ("healthcare", "i have to see a cardiologist", "find_appointment_slots", {"specialty": "cardiology"}),
    # healthcare: booking
    ("healthcare", "please book slot s three zero one for a checkup", "book_appointment", {"slot_id": "S-301"}),
    ("healthcare", "i would like to book slot s three zero four", "book_appointment", {"slot_id": "S-304"}),
    (
        "healthcare",
        "book s three zero two for patient p two zero zero one",
        "book_appointment",
        {"slot_id": "S-302", "patient_id": "P-2001"},
    ),
    ("healthcare", "can you book slot s three zero five for me", "book_appointment", {"slot_id": "S-305"}),
    ("healthcare", "reserve slot s three zero three please", "book_appointment", {"slot_id": "S-303"}),
    # healthcare: reschedule / cancel
    (
        "healthcare",
        "i need to reschedule appointment a p t five zero one",
        "reschedule_appointment",
        {"appointment_id": "APT-501"},
    ),
    (
        "healthcare",
        "move my appointment a p t five zero two to slot s three zero five",
        "reschedule_appointment",
        {"appointment_id": "APT-502", "new_slot_id": "S-305"},
    ),
    ("healthcare", "can i reschedule my appointment", "reschedule_appointment", {}),
    (
        "healthcare",
        "i would like to cancel appointment a p t five zero one",
        "cancel_appointment",
        {"appointment_id": "APT-501"},
    ),
    (
        "healthcare",
        "cancel appointment a p t five zero two for me please",
        "cancel_appointment",
        {"appointment_id": "APT-502"},
    ),
    ("healthcare", "cancel my appointment please", "cancel_appointment", {}),
    # healthcare: prescriptions
    (
        "healthcare",
        "is prescription r x seven zero zero one ready yet",
        "prescription_refill_status",
        {"rx_number": "RX-7001"},
    ),
    (
        "healthcare",
        "can you check on prescription r x seven zero zero two",
        "prescription_refill_status",
        {"rx_number": "RX-7002"},
    ),
    (
        "healthcare",
        "how many refills do i have left on r x seven zero zero three",
        "prescription_refill_status",
        {"rx_number": "RX-7003"},
    ),
    (
        "healthcare",
        "i would like a refill of prescription r x seven zero zero one",
        "request_refill",
        {"rx_number": "RX-7001"},
    ),
    ("healthcare", "can you refill r x seven zero zero three", "request_refill", {"rx_number": "RX-7003"}),
    ("healthcare", "can you request a refill for me", "request_refill", {}),
    # healthcare: identity answers
    ("healthcare", "the patient id is p two zero zero one", "answer", {"patient_id": "P-2001"}),
    (
        "healthcare",
        "i was born on march fourteenth nineteen eighty four",
        "answer",
        {"date_of_birth": "1984-03-14"},
    ),
    ("healthcare", "i was born on november second nineteen seventy nine", "answer", {"date_of_birth": "1979-11-02"}),
    ("healthcare", "it is july twenty first nineteen ninety two", "answer", {"date_of_birth": "1992-07-21"}),
    ("healthcare", "that is patient p two zero zero three", "answer", {"patient_id": "P-2003"}),
    # retail: orders
    ("retail", "where is my order o r d nine zero zero one", "order_status", {"order_id": "ORD-9001"}),
    ("retail", "can you check the status of order o r d nine zero zero two", "order_status", {"order_id": "ORD-9002"}),
    (
        "retail",
        "please track order o r d nine zero zero three zip code nine eight one zero nine",
        "order_status",
        {"order_id": "ORD-9003", "zip_code": "98109"},
    ),
    ("retail", "has my order shipped", "order_status", {}),
    ("retail", "where is my package order nine zero zero one", "order_status", {"order_id": "ORD-9001"}),
    # retail: returns
    ("retail", "i would like to send my jacket back", "start_return", {"sku": "SKU-101"}),
    ("retail", "can i get a refund for the trail runner shoes", "start_return", {"sku": "SKU-100"}),
    (
        "retail",
        "the daypack arrived damaged i want to send it back",
        "start_return",
        {"sku": "SKU-103", "reason": "damaged"},
    ),
    (
        "retail",
        "return the socks from order o r d nine zero zero one they are the wrong size",
        "start_return",
        {"order_id": "ORD-9001", "sku": "SKU-102", "reason": "wrong size"},
    ),
    (
        "retail",
        "i changed my mind about the rain shell jacket and want a refund",
        "start_return",
        {"sku": "SKU-101", "reason": "changed mind"},
    ),
    # retail: stock and search
    ("retail", "have you got the rain shell jacket in stock", "product_availability", {"sku": "SKU-101"}),
    ("retail", "is the daypack available in stock", "product_availability", {"sku": "SKU-103"}),
    ("retail", "are the trail runner shoes in stock in seattle", "product_availability", {"sku": "SKU-100"}),
    ("retail", "do you have merino socks in stock", "product_availability", {"sku": "SKU-102"}),
    ("retail", "i am shopping for a backpack", "search_products", {}),
    ("retail", "do you sell any socks", "search_products", {}),
    ("retail", "search for a rain jacket", "search_products", {}),
    # retail: hours
    ("retail", "what hours is the portland store open", "store_hours", {"store_id": "ST-2"}),
    ("retail", "what time does the seattle store open", "store_hours", {"store_id": "ST-1"}),
    ("retail", "when do you close in portland", "store_hours", {"store_id": "ST-2"}),
    ("retail", "what are your opening hours at pike street", "store_hours", {"store_id": "ST-1"}),
    # concierge handoffs
    ("default", "what do i owe on account a c c one zero zero one", "handoff:telecom", {}),
    ("default", "i have a question about my mobile bill", "handoff:telecom", {}),
    ("default", "my internet is not working", "handoff:telecom", {}),
    ("default", "i need help with my mobile plan", "handoff:telecom", {}),
    ("default", "i would like to see a doctor", "handoff:healthcare", {}),
    ("default", "i want to book an appointment at the clinic", "handoff:healthcare", {}),
    ("default", "is my prescription ready", "handoff:healthcare", {}),
    ("default", "i need to send back a jacket", "handoff:retail", {}),
    ("default", "where is my order now", "handoff:retail", {}),
    ("default", "is the daypack in stock today", "handoff:retail", {}),
    ("default", "please put me through to mobile support", "handoff:telecom", {}),
    ("retail", "i also have a question about my phone bill", "handoff:telecom", {}),
    # people, confirmations, endings
    ("default", "a person please", "escalate_to_human", {}),
    ("default", "could i speak with a real person", "escalate_to_human", {}),
    ("telecom", "i would like to talk to a human", "escalate_to_human", {}),
    ("retail", "i want a representative", "escalate_to_human", {}),
    ("healthcare", "thank you goodbye", "end_call", {}),
    ("telecom", "that is all goodbye", "end_call", {}),
    ("default", "goodbye", "end_call", {}),
    ("outreach", "please do not ever call me again", "add_to_do_not_call", {}),
    ("outreach", "stop calling me", "add_to_do_not_call", {}),
    ("outreach", "take my number off your list", "add_to_do_not_call", {}),
    ("outreach", "hi you have reached maria please leave a message after the tone", "voicemail_detected", {}),
    (
        "outreach",
        "the person you called is not available please leave your message after the beep",
        "voicemail_detected",
        {},
    ),
    ("telecom", "yes please go ahead", "yes", {}),
    ("telecom", "no thank you", "no", {}),
    ("healthcare", "yes that's right", "yes", {}),
    ("retail", "no never mind", "no", {}),
    ("telecom", "the account number is a c c one zero zero three", "answer", {"account_id": "ACC-1003"}),
    ("retail", "it is zip code nine eight zero five two", "answer", {"zip_code": "98052"}),
    ("retail", "my order number is o r d nine zero zero two", "answer", {"order_id": "ORD-9002"}),
]
