"""Held-out question phrasings, fixed before tuning.

Nobody tuning the small stack opens this file: the eval builders read it only to build the
held-out split. Keep new held-out material here (or in this folder), not beside dev phrasings.
"""

from __future__ import annotations

# Real receipts (SROIE): total paid, issuing company, date.
RECEIPT_QUESTIONS: dict[str, list[str]] = {
    "total": ["What did the customer pay?", "What's the receipt total?",
              "How much does the bill come to?"],
    "company": ["Which business is this receipt from?", "Who sold these items?",
                "Name the merchant on this receipt."],
    "date": ["When was this purchase made?", "What day is printed on the receipt?"],
}  # fmt: skip

# Voicemail facts: one list of phrasings per fact slot.
SPEECH_QUESTIONS: dict[str, list[str]] = {
    "city": [
        "From which city is the shipment coming?",
        "What location does the caller mention?",
        "Where is it being sent from?",
    ],
    "caller": ["Who left this message?", "What's the name of the person speaking?"],
    "company": ["Which business left this voicemail?", "Name the company in the message."],
    "order": ["What reference number does the caller give?", "Which number identifies it?"],
    "time": ["By what time?", "What hour does the caller give?"],
    "qty": ["What quantity does the caller mention?", "How many units are there?"],
    "amount": ["What's the cost?", "How much does it cost in total?"],
    "date": ["What day of the month is given?", "When, which date?"],
    "weekday": ["Which weekday does the caller name?"],
}  # fmt: skip
