"""The request types and form values the support request tests share."""

from __future__ import annotations

from kbportal.content.request_types import FieldSpec, Option, RequestType, RequestTypes

TYPES = RequestTypes(
    (
        RequestType(
            name="question",
            label={"en": "Question", "ru": "Вопрос"},
            priority="P3",
            categories=("billing",),
            fields=(
                FieldSpec(
                    name="area",
                    kind="select",
                    label={"": "Area"},
                    options=(Option("billing", {"": "Billing"}), Option("other", {"": "Other"})),
                ),
            ),
        ),
        RequestType(
            name="problem",
            label={"en": "Problem"},
            priority="P2",
            fields=(
                FieldSpec(name="blocks_work", kind="checkbox", label={"": "Blocks work"}),
                FieldSpec(
                    name="since", kind="text", label={"": "Since"}, required_if=("blocks_work", "")
                ),
                FieldSpec(name="screenshot", kind="file", label={"": "Shot"}, accept=("image",)),
            ),
        ),
    )
)

GOOD = {
    "subject": "Invoices are missing",
    "description": "I cannot find the invoice for October.\nWhere is it?",
    "email": "Ann@Example.com",
    "name": "Ann",
}
