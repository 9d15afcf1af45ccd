"""The five phonebook functions: thin adapters from API Gateway events to the domain."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from phonebook.domain import InvalidContact, check_id, new_id, parse_contact, parse_limit
from phonebook.http import error, json_body, path_id, query, respond
from phonebook.store import ContactStore

logger = Logger(service="phonebook")
_store: ContactStore | None = None


def store() -> ContactStore:
    global _store
    if _store is None:  # one client per warm environment
        _store = ContactStore()
    return _store


@logger.inject_lambda_context
def get_all_contacts(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        limit = parse_limit(query(event, "limit"))
        contacts, next_token = store().page(limit, query(event, "next"))
    except InvalidContact as exc:
        return error(400, str(exc))
    return respond(200, {"contacts": [c.to_item() for c in contacts], "next": next_token})


@logger.inject_lambda_context
def create_new_contact(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        contact = parse_contact(new_id(), json_body(event))
    except ValueError as exc:
        return error(400, str(exc))
    store().create(contact)
    logger.info("contact created", extra={"contact_id": contact.id})
    return respond(201, contact.to_item(), {"Location": f"/phonebook/{contact.id}"})


@logger.inject_lambda_context
def get_contact_by_id(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        contact = store().get(check_id(path_id(event)))
    except InvalidContact as exc:
        return error(400, str(exc))
    if contact is None:
        return error(404, f"no contact {path_id(event)}")
    return respond(200, contact.to_item())


@logger.inject_lambda_context
def create_or_update_contact_by_id(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        contact = parse_contact(path_id(event), json_body(event))
    except ValueError as exc:
        return error(400, str(exc))
    created = store().put(contact)
    logger.info("contact saved", extra={"contact_id": contact.id, "was_created": created})
    return respond(201 if created else 200, contact.to_item())


@logger.inject_lambda_context
def delete_contact_by_id(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        contact_id = check_id(path_id(event))
    except InvalidContact as exc:
        return error(400, str(exc))
    if not store().delete(contact_id):
        return error(404, f"no contact {contact_id}")
    return respond(204)
