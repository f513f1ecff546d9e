"""alerts.AlertStore over DynamoDB: its own table (`AlertsTable`), jobs in the submissions table.

Items of the alerts table, by `pk`:

    ALERT#<subscriber id>        a subscription: email, professions, territories, dates,
                                 `version`, and `announced` (a string set of the placements
                                 announced to it, "<territory>/<id>")
    SEEN#<territory>/<id>        when a placement was first seen by an announce

A digest's job goes to the submissions table and the subscription's `announced` set grows in
the same TransactWriteItems (DynamoDBStore.transact), on the condition that the subscription
is still at the version the announce read: a placement is announced once, whatever happens.
DynamoDB deletes items once `expires_epoch` has passed (TTL), as a retention backstop; the
announce also skips and deletes expired subscriptions itself (TTL runs within days, not at
once).
"""

from __future__ import annotations

import datetime as dt
import os

from botocore.exceptions import BotoCoreError, ClientError

from ..alerts import Subscriber
from ..ports import EmailJob, StoreUnavailable
from .dynamodb_store import DynamoDBStore, epoch, iso

ALERT_PREFIX, SEEN_PREFIX = "ALERT#", "SEEN#"
SEEN_RETENTION = dt.timedelta(days=2 * 365)  # longer than any placement stays open
BATCH_GET = 100  # DynamoDB's limits per BatchGetItem and BatchWriteItem
BATCH_WRITE = 25


def _s(value: str) -> dict:
    return {"S": value}


def to_item(subscriber: Subscriber) -> dict:
    item = {
        "pk": _s(ALERT_PREFIX + subscriber.id),
        "email": _s(subscriber.email),
        "professions": {"L": [_s(p) for p in subscriber.professions]},
        "territories": {"L": [_s(t) for t in subscriber.territories]},
        "created_at": _s(iso(subscriber.created_at)),
        "expires_at": _s(iso(subscriber.expires_at)),
        "expires_epoch": {"N": str(epoch(subscriber.expires_at))},
        "version": {"N": str(subscriber.version)},
    }
    if subscriber.confirmed_at:
        item["confirmed_at"] = _s(iso(subscriber.confirmed_at))
    return item


def from_item(item: dict) -> Subscriber:
    return Subscriber(
        id=item["pk"]["S"].removeprefix(ALERT_PREFIX),
        email=item["email"]["S"],
        professions=tuple(v["S"] for v in item["professions"]["L"]),
        territories=tuple(v["S"] for v in item["territories"]["L"]),
        created_at=dt.datetime.fromisoformat(item["created_at"]["S"]),
        expires_at=dt.datetime.fromisoformat(item["expires_at"]["S"]),
        confirmed_at=(
            dt.datetime.fromisoformat(item["confirmed_at"]["S"]) if "confirmed_at" in item else None
        ),
        version=int(item["version"]["N"]),
    )


class DynamoDBAlerts:
    """Subscriptions and first-seen dates in the alerts table; jobs through `store`."""

    def __init__(self, store: DynamoDBStore, table_name: str | None = None):
        self.store = store
        self.table = table_name or os.environ["ALERTS_TABLE"]

    @property
    def client(self):
        return self.store.client

    def _call(self, operation: str, **params) -> dict:
        try:
            return getattr(self.client, operation)(**params)
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(f"DynamoDB {operation}: {type(error).__name__}") from None

    def _key(self, subscriber_id: str) -> dict:
        return {"pk": _s(ALERT_PREFIX + subscriber_id)}

    def _scan(self, condition: str, values: dict, names: dict | None = None):
        params = {
            "TableName": self.table,
            "FilterExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            params["ExpressionAttributeNames"] = names
        while True:
            page = self._call("scan", **params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add_pending(self, subscriber: Subscriber, jobs: list[EmailJob]) -> None:
        """The subscription and its confirmation job, together."""
        put = {
            "Put": {
                "TableName": self.table,
                "Item": to_item(subscriber),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self.store.transact([put], jobs)
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {type(error).__name__}") from None

    def get(self, subscriber_id: str) -> Subscriber | None:
        item = self._call(
            "get_item", TableName=self.table, Key=self._key(subscriber_id), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def confirm(self, subscriber: Subscriber) -> bool:
        """Save the confirmation; the address's other subscriptions are deleted."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self._key(subscriber.id),
                UpdateExpression="SET confirmed_at = :c, expires_at = :e, expires_epoch = :x"
                " ADD version :one",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(confirmed_at)",
                ExpressionAttributeValues={
                    ":c": _s(iso(subscriber.confirmed_at)),
                    ":e": _s(iso(subscriber.expires_at)),
                    ":x": {"N": str(epoch(subscriber.expires_at))},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StoreUnavailable("DynamoDB UpdateItem") from None
        for item in self._of_address(subscriber.email):
            if item["pk"]["S"] != ALERT_PREFIX + subscriber.id:
                self._call("delete_item", TableName=self.table, Key={"pk": item["pk"]})
        return True

    def _of_address(self, email: str):
        return self._scan(
            "begins_with(pk, :prefix) AND email = :email",
            {":prefix": _s(ALERT_PREFIX), ":email": _s(email)},
        )

    def remove(self, subscriber_id: str) -> bool:
        """Delete the subscription (its pairs are in it); False if it was not there."""
        gone = self._call(
            "delete_item",
            TableName=self.table,
            Key=self._key(subscriber_id),
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in gone

    def confirmed(self, now: dt.datetime) -> list[Subscriber]:
        items = self._scan(
            "begins_with(pk, :prefix) AND attribute_exists(confirmed_at) AND expires_at > :now",
            {":prefix": _s(ALERT_PREFIX), ":now": _s(iso(now))},
        )
        return sorted((from_item(i) for i in items), key=lambda s: (s.confirmed_at, s.id))

    def announced(self, subscriber_id: str) -> set[str]:
        item = (
            self._call(
                "get_item",
                TableName=self.table,
                Key=self._key(subscriber_id),
                ProjectionExpression="announced",
                ConsistentRead=True,
            ).get("Item")
            or {}
        )
        return set(item.get("announced", {}).get("SS", []))

    def record_digest(
        self, subscriber: Subscriber, placements: tuple[str, ...], job: EmailJob, now: dt.datetime
    ) -> bool:
        """The pairs and the digest's job in one transaction, at the version read."""
        update = {
            "Update": {
                "TableName": self.table,
                "Key": self._key(subscriber.id),
                "UpdateExpression": "ADD announced :keys, version :one",
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {
                    ":keys": {"SS": list(placements)},
                    ":one": {"N": "1"},
                    ":version": {"N": str(subscriber.version)},
                },
            }
        }
        try:
            self.store.transact([update], [job])
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False  # unsubscribed, or another announce got there first
            raise StoreUnavailable("DynamoDB TransactWriteItems") from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {type(error).__name__}") from None
        return True

    def first_seen(self, keys: list[str], now: dt.datetime) -> dict[str, dt.datetime]:
        """When each placement was first seen; those never seen are recorded as seen `now`."""
        seen: dict[str, dt.datetime] = {}
        for start in range(0, len(keys), BATCH_GET):
            request = {
                self.table: {
                    "Keys": [{"pk": _s(SEEN_PREFIX + k)} for k in keys[start : start + BATCH_GET]],
                    "ConsistentRead": True,
                }
            }
            while request:
                page = self._call("batch_get_item", RequestItems=request)
                for item in page.get("Responses", {}).get(self.table, []):
                    key = item["pk"]["S"].removeprefix(SEEN_PREFIX)
                    seen[key] = dt.datetime.fromisoformat(item["first_seen"]["S"])
                request = page.get("UnprocessedKeys") or {}
        new = [k for k in keys if k not in seen]
        for start in range(0, len(new), BATCH_WRITE):
            puts = [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": _s(SEEN_PREFIX + key),
                            "first_seen": _s(iso(now)),
                            "expires_epoch": {"N": str(epoch(now + SEEN_RETENTION))},
                        }
                    }
                }
                for key in new[start : start + BATCH_WRITE]
            ]
            request = {self.table: puts}
            while request:
                request = self._call("batch_write_item", RequestItems=request).get(
                    "UnprocessedItems"
                )
        seen.update({key: now for key in new})
        return seen

    def purge_expired(self, now: dt.datetime) -> int:
        """Delete subscriptions past their retention (DynamoDB's TTL may lag by days)."""
        expired = list(
            self._scan(
                "begins_with(pk, :prefix) AND expires_at <= :now",
                {":prefix": _s(ALERT_PREFIX), ":now": _s(iso(now))},
            )
        )
        for item in expired:
            self._call("delete_item", TableName=self.table, Key={"pk": item["pk"]})
        return len(expired)

    def _with_address(self, email: str) -> list[dict]:
        return [
            i
            for i in self._scan("begins_with(pk, :prefix)", {":prefix": _s(ALERT_PREFIX)})
            if i["email"]["S"].lower() == email.lower()
        ]

    def count_of(self, email: str) -> int:
        """How many subscriptions this address has (pending or confirmed)."""
        return len(self._with_address(email))

    def erase(self, email: str) -> int:
        """Delete every subscription of this address (forms.admin erase); returns how many."""
        found = self._with_address(email)
        for item in found:
            self._call("delete_item", TableName=self.table, Key={"pk": item["pk"]})
        return len(found)
