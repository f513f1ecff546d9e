"""The welcome service's records in the submissions table (template.yaml), beside `SUB#` items:

    FOLLOW#<request id>                     a welcomer request's follow-up (status, calls…),
                                            written with a condition on its version
    REG#<registration id>                   an event registration
    EVENT#<territory>#<event>               the event's counter: `confirmed`, and `waiting`,
                                            the waiting list's registration ids, in order
    SLOT#<territory>#<event>#<start>        an interview slot, held by one registration
    REGMAIL#<territory>#<event>#<sha256>    one registration per address and event
    JOB#<key>                               an e-mail a change caused, stored with it in
                                            the same transaction (forms.delivery)

Seats are never overbooked because a registration is confirmed only in a transaction that
raises the counter under the condition `confirmed < capacity` and creates the slot item
under `attribute_not_exists`; waiting-list changes are conditioned on the list's head. A
transaction whose condition fails is retried after reading again: DynamoDB serialises them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from ..followup import Conflict, FollowUp
from ..ports import EmailJob, StoreUnavailable
from ..registrations import (
    CANCELLED,
    CONFIRMED,
    WAITLISTED,
    AlreadyCancelled,
    Cancellation,
    Registration,
    SlotTaken,
)
from .dynamodb_store import CLIENT_CONFIG, JOB_KIND, JOB_PREFIX, DynamoDBStore, epoch

FOLLOW, REG, EVENT, SLOT, REGMAIL = "FOLLOW#", "REG#", "EVENT#", "SLOT#", "REGMAIL#"
ATTEMPTS = 20  # conditional writes lost to concurrent ones before giving up (503)

_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def _typed(values: dict) -> dict:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: dict) -> dict:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _key(pk: str) -> dict:
    return {"pk": {"S": pk}}


def _reasons(error: ClientError) -> list[bool]:
    """Which items of a cancelled transaction failed their condition."""
    found = error.response.get("CancellationReasons") or []
    return [reason.get("Code") == "ConditionalCheckFailed" for reason in found]


def _cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode("utf-8")).hexdigest()


def _registration(item: dict) -> Registration:
    values = _plain(item)
    when = dt.datetime.fromisoformat
    return Registration(
        id=values["id"],
        territory=values["territory"],
        event=values["event"],
        status=values["status"],
        received_at=when(values["received_at"]),
        expires_at=when(values["expires_at"]),
        fields=json.loads(values["fields"]),
        slot=values.get("slot"),
        cancelled_at=when(values["cancelled_at"]) if values.get("cancelled_at") else None,
        promoted_at=when(values["promoted_at"]) if values.get("promoted_at") else None,
    )


def _followup(item: dict) -> FollowUp:
    v = _plain(item)
    return FollowUp.from_dict(
        v["request_id"],
        v["territory"],
        dt.datetime.fromisoformat(v["received_at"]),
        dt.datetime.fromisoformat(v["expires_at"]),
        int(v["version"]),
        json.loads(v["data"]),
    )


class DynamoDBWelcomeStore:
    """Follow-ups, registrations and their e-mails in DynamoDB; failures → StoreUnavailable."""

    def __init__(self, table_name: str | None = None, dynamodb_client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self._client = dynamodb_client

    @property
    def client(self):
        if self._client is None:
            self._client = boto3.client("dynamodb", config=CLIENT_CONFIG)
        return self._client

    @property
    def jobs(self) -> DynamoDBStore:
        """The delivery core's side of the table: it writes a change and its e-mail jobs."""
        return DynamoDBStore(self.table_name, self.client)

    # -- Plumbing. ---------------------------------------------------------------------------

    def _get(self, pk: str) -> dict | None:
        try:
            answer = self.client.get_item(
                TableName=self.table_name, Key=_key(pk), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise StoreUnavailable(f"DynamoDB GetItem: {type(error).__name__}") from None
        return answer.get("Item")

    def _transact(self, items: list[dict], jobs: list[EmailJob] = ()) -> list[bool] | None:
        """Write `items` and `jobs` in one transaction: None when it succeeded, else which of
        `items` failed their condition (a job already stored is left as it is)."""
        try:
            self.jobs.transact(items, jobs)
        except ClientError as error:
            if _cancelled(error):
                reasons = _reasons(error)[: len(items)]
                # None failed: a conflict with a concurrent transaction; a retry may pass.
                return reasons if any(reasons) else [False] * len(items)
            code = error.response["Error"]["Code"]
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {code}") from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {type(error).__name__}") from None
        return None

    def _scan(self, kind: str, **filters) -> Iterator[dict]:
        expression, names, values = "#kind = :kind", {"#kind": "kind"}, {":kind": {"S": kind}}
        for i, (name, value) in enumerate(filters.items()):
            if value is not None:
                expression += f" AND #f{i} = :f{i}"
                names[f"#f{i}"], values[f":f{i}"] = name, {"S": value}
        params = {
            "TableName": self.table_name,
            "FilterExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        while True:
            try:
                page = self.client.scan(**params)
            except (ClientError, BotoCoreError) as error:
                raise StoreUnavailable(f"DynamoDB Scan: {type(error).__name__}") from None
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _put(self, pk: str, values: dict, condition: str = "attribute_not_exists(pk)") -> dict:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": {**_key(pk), **_typed(values)},
                "ConditionExpression": condition,
            }
        }

    def _update(self, pk: str, expression: str, condition: str | None, values: dict, names=None):
        update = {
            "TableName": self.table_name,
            "Key": _key(pk),
            "UpdateExpression": expression,
        }
        if condition:
            update["ConditionExpression"] = condition
        if values:
            update["ExpressionAttributeValues"] = _typed(values)
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    def _delete(self, pk: str, condition: str | None = None, values: dict | None = None) -> dict:
        delete = {"TableName": self.table_name, "Key": _key(pk)}
        if condition:
            delete["ConditionExpression"] = condition
            delete["ExpressionAttributeValues"] = _typed(values or {})
        return {"Delete": delete}

    # -- E-mails. ----------------------------------------------------------------------------

    def enqueue(self, jobs: list[EmailJob]) -> None:
        """Store e-mails no record change causes (digests, statements); a stored key stays."""
        self.jobs.enqueue(jobs)

    def outgoing(self, prefix: str = "") -> list[tuple[str, bytes]]:
        """(key, message bytes) of the e-mail jobs whose key starts with `prefix`."""
        found = [_plain(i) for i in self._scan(JOB_KIND)]
        return sorted(
            (v["key"], bytes(v.get("message") or b"")) for v in found if v["key"].startswith(prefix)
        )

    # -- Follow-ups. -------------------------------------------------------------------------

    def followup(self, request_id: str) -> FollowUp | None:
        item = self._get(FOLLOW + request_id)
        return _followup(item) if item else None

    def save_followup(
        self, followup: FollowUp, expected_version: int, outgoing: list[EmailJob]
    ) -> None:
        """Write the new state if still at `expected_version`, with its e-mails; Conflict else."""
        values = {
            "kind": "followup",
            "request_id": followup.request_id,
            "territory": followup.territory,
            "received_at": followup.received_at.isoformat(),
            "expires_at": followup.expires_at.isoformat(),
            "expires_epoch": epoch(followup.expires_at),
            "status": followup.status,
            "version": expected_version + 1,
            "data": json.dumps(followup.to_dict(), ensure_ascii=False),
        }
        put = self._put(FOLLOW + followup.request_id, values)
        if expected_version:
            put["Put"]["ConditionExpression"] = "version = :expected"
            put["Put"]["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        if self._transact([put], outgoing) is not None:
            raise Conflict(followup.request_id)

    def followups(self, territory: str | None = None) -> list[FollowUp]:
        found = [_followup(i) for i in self._scan("followup", territory=territory)]
        return sorted(found, key=lambda f: f.request_id)

    # -- Registrations. ----------------------------------------------------------------------

    def _registration_item(self, r: Registration) -> dict:
        return {
            "kind": "registration",
            "id": r.id,
            "territory": r.territory,
            "event": r.event,
            "status": r.status,
            "slot": r.slot,
            "email": r.email.casefold(),
            "received_at": r.received_at.isoformat(),
            "expires_at": r.expires_at.isoformat(),
            "expires_epoch": epoch(r.expires_at),
            "fields": json.dumps(r.fields, ensure_ascii=False),
        }

    @staticmethod
    def _event_pk(r: Registration) -> str:
        return f"{EVENT}{r.territory}#{r.event}"

    @staticmethod
    def _mail_pk(r: Registration) -> str:
        return f"{REGMAIL}{r.territory}#{r.event}#{_email_hash(r.email)}"

    @staticmethod
    def _slot_pk(r: Registration, slot: str) -> str:
        return f"{SLOT}{r.territory}#{r.event}#{slot}"

    def _existing(self, registration: Registration) -> Registration | None:
        item = self._get(self._mail_pk(registration))
        if item is None:
            return None
        found = self._get(REG + item["registration_id"]["S"])
        return _registration(found) if found else None

    def register(
        self,
        registration: Registration,
        capacity: int,
        outgoing: Callable[[Registration], list[EmailJob]],
    ) -> tuple[Registration, bool]:
        """Confirm under `confirmed < capacity` (and a free slot), else join the waiting list."""
        wanted = registration.fields.get("slot")
        expires = {"expires_epoch": epoch(registration.expires_at)}
        composed: dict[str, list[EmailJob]] = {}  # by status: retries need not compose again

        def jobs_of(r: Registration) -> list[EmailJob]:
            if r.status not in composed:
                composed[r.status] = outgoing(r)
            return composed[r.status]

        mail = self._put(
            self._mail_pk(registration), {"registration_id": registration.id, **expires}
        )
        for _ in range(ATTEMPTS):
            registration.status, registration.slot = CONFIRMED, wanted or None
            items = [
                self._update(
                    self._event_pk(registration),
                    "SET confirmed = if_not_exists(confirmed, :zero) + :one, "
                    "expires_epoch = :expires, kind = :kind",
                    "attribute_not_exists(confirmed) OR confirmed < :capacity",
                    {
                        ":zero": 0,
                        ":one": 1,
                        ":capacity": capacity,
                        ":expires": expires["expires_epoch"],
                        ":kind": "event-counter",
                    },
                ),
                mail,
                self._put(REG + registration.id, self._registration_item(registration)),
            ]
            if wanted:
                items.append(
                    self._put(
                        self._slot_pk(registration, wanted),
                        {"registration_id": registration.id, **expires},
                    )
                )
            failed = self._transact(items, jobs_of(registration))
            if failed is None:
                return registration, False
            if failed[1]:
                existing = self._existing(registration)
                if existing is not None:
                    return existing, True
                continue  # cancelled meanwhile: try again
            if not failed[0] and len(failed) > 3 and wanted and failed[3]:
                raise SlotTaken(wanted)
            if not failed[0]:
                continue  # a conflict with a concurrent transaction
            registration.status, registration.slot = WAITLISTED, None
            items = [
                self._update(
                    self._event_pk(registration),
                    "SET waiting = list_append(if_not_exists(waiting, :empty), :me)",
                    "confirmed >= :capacity",
                    {":empty": [], ":me": [registration.id], ":capacity": capacity},
                ),
                mail,
                self._put(REG + registration.id, self._registration_item(registration)),
            ]
            failed = self._transact(items, jobs_of(registration))
            if failed is None:
                return registration, False
            if failed[1]:
                existing = self._existing(registration)
                if existing is not None:
                    return existing, True
            # Else a seat was freed meanwhile, or a conflict: try to confirm again.
        raise StoreUnavailable("registration: too many concurrent changes")

    def _cancel_items(self, r: Registration, now: dt.datetime) -> list[dict]:
        return [
            self._update(
                REG + r.id,
                "SET #status = :cancelled, cancelled_at = :now REMOVE slot",
                "#status = :was",
                {":cancelled": CANCELLED, ":now": now.isoformat(), ":was": r.status},
                {"#status": "status"},
            ),
            self._delete(self._mail_pk(r)),
        ]

    def cancel(
        self,
        registration_id: str,
        now: dt.datetime,
        outgoing: Callable[[Registration, Registration | None], list[EmailJob]],
    ) -> Cancellation:
        """Cancel; a freed seat (and its slot) goes to the first of the waiting list."""
        for _ in range(ATTEMPTS):
            item = self._get(REG + registration_id)
            if item is None:
                raise KeyError(registration_id)
            cancelled = _registration(item)
            if cancelled.status == CANCELLED:
                raise AlreadyCancelled(registration_id)
            counter = _plain(self._get(self._event_pk(cancelled)) or {})
            waiting = list(counter.get("waiting", []))
            items = self._cancel_items(cancelled, now)
            promoted = None
            event_pk = self._event_pk(cancelled)
            if cancelled.status == WAITLISTED:
                if registration_id in waiting:
                    index = waiting.index(registration_id)
                    items.append(
                        self._update(
                            event_pk,
                            f"REMOVE waiting[{index}]",
                            f"waiting[{index}] = :me",
                            {":me": registration_id},
                        )
                    )
            elif waiting:
                first = self._get(REG + waiting[0])
                promoted = _registration(first) if first else None
                items.append(
                    self._update(
                        event_pk, "REMOVE waiting[0]", "waiting[0] = :first", {":first": waiting[0]}
                    )
                )
                if promoted is not None:
                    promoted.status, promoted.slot, promoted.promoted_at = (
                        CONFIRMED,
                        cancelled.slot,
                        now,
                    )
                    items.append(
                        self._update(
                            REG + promoted.id,
                            "SET #status = :confirmed, promoted_at = :now"
                            + (", slot = :slot" if cancelled.slot else ""),
                            "#status = :waitlisted",
                            {
                                ":confirmed": CONFIRMED,
                                ":now": now.isoformat(),
                                ":waitlisted": WAITLISTED,
                                ":slot": cancelled.slot,
                            },
                            {"#status": "status"},
                        )
                    )
                    if cancelled.slot:
                        items.append(
                            self._update(
                                self._slot_pk(cancelled, cancelled.slot),
                                "SET registration_id = :first",
                                "registration_id = :me",
                                {":first": promoted.id, ":me": cancelled.id},
                            )
                        )
                else:  # the head of the list was erased: give the seat back
                    items.append(
                        self._update(
                            event_pk, "SET confirmed = confirmed - :one", None, {":one": 1}
                        )
                    )
            else:
                items.append(
                    self._update(
                        event_pk,
                        "SET confirmed = confirmed - :one",
                        "attribute_not_exists(waiting) OR size(waiting) = :zero",
                        {":one": 1, ":zero": 0},
                    )
                )
                if cancelled.slot:
                    items.append(
                        self._delete(
                            self._slot_pk(cancelled, cancelled.slot),
                            "registration_id = :me",
                            {":me": cancelled.id},
                        )
                    )
            before = cancelled.status
            cancelled.status, cancelled.slot, cancelled.cancelled_at = CANCELLED, None, now
            messages = outgoing(cancelled, promoted)
            if self._transact(items, messages) is None:
                return Cancellation(cancelled, promoted, messages)
            cancelled.status = before  # lost to a concurrent change: read again
        raise StoreUnavailable("cancellation: too many concurrent changes")

    def registration(self, registration_id: str) -> Registration | None:
        item = self._get(REG + registration_id)
        return _registration(item) if item else None

    def registrations(self, territory: str | None = None, event: str | None = None) -> list:
        """Registrations of an event (or all), in order of arrival (their rank as position)."""
        found = sorted(
            (
                _registration(i)
                for i in self._scan("registration", territory=territory, event=event)
            ),
            key=lambda r: (r.territory, r.event, r.received_at, r.id),
        )
        ranks: dict[tuple, int] = {}
        for r in found:
            ranks[(r.territory, r.event)] = r.position = ranks.get((r.territory, r.event), 0) + 1
        return found

    def registrations_of(self, address: str) -> list[Registration]:
        wanted = address.strip().casefold()
        return [r for r in self.registrations() if r.email.casefold() == wanted]

    # -- Erasure. ----------------------------------------------------------------------------

    def erase_email(self, address: str, request_ids: list[str]) -> dict[str, int]:
        """Delete this address's registrations (freeing their seats), these requests'
        follow-ups, and the e-mail jobs to the address, about these records or naming them."""
        mine = self.registrations_of(address)
        for r in mine:
            items = [self._delete(REG + r.id), self._delete(self._mail_pk(r))]
            if r.status == CONFIRMED:
                items.append(
                    self._update(
                        self._event_pk(r), "SET confirmed = confirmed - :one", None, {":one": 1}
                    )
                )
                if r.slot:
                    items.append(self._delete(self._slot_pk(r, r.slot)))
            elif r.status == WAITLISTED:
                counter = _plain(self._get(self._event_pk(r)) or {})
                if r.id in counter.get("waiting", []):
                    index = counter["waiting"].index(r.id)
                    items.append(
                        self._update(self._event_pk(r), f"REMOVE waiting[{index}]", None, {})
                    )
            self._transact(items)
        followups = 0
        for request_id in request_ids:
            if self._get(FOLLOW + request_id):
                self._transact([self._delete(FOLLOW + request_id)])
                followups += 1
        wanted = address.strip().casefold()
        records = {*(r.id for r in mine), *request_ids}
        ids = [i.encode("ascii") for i in records]
        keys = []
        for item in self._scan(JOB_KIND):
            values = _plain(item)
            message = bytes(values.get("message") or b"")
            if (
                values["record"] in records
                or wanted in (r.casefold() for r in values.get("recipients", []))
                or any(i in message for i in ids)
            ):
                self._transact([self._delete(JOB_PREFIX + values["key"])])
                keys.append(values["key"])
        return {"registrations": len(mine), "followups": followups, "keys": keys}
