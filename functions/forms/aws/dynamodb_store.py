"""SubmissionStore over one DynamoDB table (see template.yaml, `SubmissionsTable`).

Two kinds of item share the table's key `pk`:

    SUB#<id>                           a submission (its fields, pricing, e-mail progress)
    IDEM#<form>#<territory>#<sha256>   an idempotency key, pointing at the first submission

A submission and its idempotency item are written in one transaction with a condition on each,
so a retried POST either finds the first submission or writes nothing: never half of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..ports import EMAIL_PENDING, DuplicateSubmission, StoreUnavailable, Submission

SUBMISSION_PREFIX = "SUB#"
IDEMPOTENCY_PREFIX = "IDEM#"
PENDING_INDEX = "pending-by-age"
PENDING_MARK = "1"  # value of the sparse `pending` attribute: one partition of the index
# A retried POST comes seconds or minutes later; a day covers a phone that was offline.
IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
# The public handler must answer well before API Gateway's 30 s: a few quick tries, then 503.
MAX_ATTEMPTS = 3
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=2,
    read_timeout=5,
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# --- Item mapping. --------------------------------------------------------------------------


def iso(moment: dt.datetime) -> str:
    """Fixed-width UTC ISO 8601, so that strings sort like the moments they name."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def epoch(moment: dt.datetime) -> int:
    """Seconds since the epoch, the unit of DynamoDB's TTL."""
    return int(moment.timestamp())


def submission_key(submission_id: str) -> dict:
    """The typed key of a submission item."""
    return {"pk": {"S": SUBMISSION_PREFIX + submission_id}}


def idempotency_pk(form: str, territory: str, key: str) -> str:
    """The key of an idempotency item; the client's key is hashed: any length, no '#' clash."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{IDEMPOTENCY_PREFIX}{form}#{territory}#{digest}"


def _typed(values: dict) -> dict:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def _plain(value):
    """DynamoDB numbers come back as Decimal: the core expects ints (quantities)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_item(submission: Submission) -> dict:
    """The typed DynamoDB item of a submission."""
    values = {
        "kind": "submission",
        "id": submission.id,
        "form": submission.form,
        "territory": submission.territory,
        "received_at": iso(submission.received_at),
        "expires_at": iso(submission.expires_at),
        "expires_epoch": epoch(submission.expires_at),
        "fields": submission.fields,
        "email_status": submission.email_status,
        "emails_sent": list(submission.emails_sent),
        "email_attempts": submission.email_attempts,
    }
    optional = {
        "pricing": submission.pricing,
        "idempotency_key": submission.idempotency_key,
        "last_email_error": submission.last_email_error,
        # Sparse index key: only what still has e-mails to send appears in `pending-by-age`.
        "pending": PENDING_MARK if submission.email_status == EMAIL_PENDING else None,
    }
    values.update({k: v for k, v in optional.items() if v is not None})
    return {**submission_key(submission.id), **_typed(values)}


def from_item(item: dict) -> Submission:
    """The Submission of a typed DynamoDB item."""
    values = {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}
    return Submission(
        id=values["id"],
        form=values["form"],
        territory=values["territory"],
        received_at=dt.datetime.fromisoformat(values["received_at"]),
        expires_at=dt.datetime.fromisoformat(values["expires_at"]),
        fields=values["fields"],
        pricing=values.get("pricing"),
        idempotency_key=values.get("idempotency_key"),
        email_status=values["email_status"],
        emails_sent=list(values.get("emails_sent", [])),
        email_attempts=values.get("email_attempts", 0),
        last_email_error=values.get("last_email_error"),
    )


def _failed_conditions(error: ClientError) -> list[bool]:
    """For a cancelled transaction, which of its items failed their condition."""
    reasons = error.response.get("CancellationReasons") or []
    return [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# --- The store. -----------------------------------------------------------------------------


class DynamoDBStore:
    """Submissions in DynamoDB; every AWS failure surfaces as ports.StoreUnavailable."""

    def __init__(self, table_name: str | None = None, dynamodb_client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self._client = dynamodb_client

    @property
    def client(self):
        """The DynamoDB client, created on first use (never at import: tests start moto first)."""
        if self._client is None:
            self._client = boto3.client("dynamodb", config=CLIENT_CONFIG)
        return self._client

    def _call(self, operation: str, **params) -> dict:
        """One API call; AWS failures (after botocore's retries) become StoreUnavailable."""
        try:
            return getattr(self.client, operation)(TableName=self.table_name, **params)
        except ClientError as error:
            if _condition_failed(error):
                raise
            raise StoreUnavailable(
                f"DynamoDB {operation}: {error.response['Error']['Code']}"
            ) from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB {operation}: {type(error).__name__}") from None

    # -- Adding. ---------------------------------------------------------------------------

    def _put(self, item: dict, condition: str, values: dict | None = None) -> dict:
        put = {"TableName": self.table_name, "Item": item, "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _idempotency_put(self, submission: Submission) -> dict:
        expires = min(submission.received_at + IDEMPOTENCY_WINDOW, submission.expires_at)
        item = {
            "pk": {
                "S": idempotency_pk(
                    submission.form, submission.territory, submission.idempotency_key
                )
            },
            **_typed(
                {
                    "kind": "idempotency",
                    "submission_id": submission.id,
                    "expires_epoch": epoch(expires),
                }
            ),
        }
        # DynamoDB deletes expired items within days, not at once: an expired key is free again.
        condition = "attribute_not_exists(pk) OR expires_epoch < :now"
        return self._put(item, condition, {":now": {"N": str(epoch(submission.received_at))}})

    def add(self, submission: Submission) -> None:
        """Store a new submission (and its idempotency key) in one all-or-nothing transaction."""
        items = [self._put(to_item(submission), "attribute_not_exists(pk)")]
        if submission.idempotency_key:
            items.append(self._idempotency_put(submission))
        try:
            # botocore adds a ClientRequestToken: its own retries of this call cannot double it.
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            failed = _failed_conditions(error)
            if len(failed) == 2 and failed[1]:
                raise DuplicateSubmission(self._first_of(submission)) from None
            code = error.response["Error"]["Code"]
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {code}") from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {type(error).__name__}") from None

    def _first_of(self, submission: Submission) -> Submission:
        """The submission first stored with this one's idempotency key."""
        pk = idempotency_pk(submission.form, submission.territory, submission.idempotency_key)
        item = self._call("get_item", Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
        first = self.get(item["submission_id"]["S"]) if item else None
        if first is None:  # the key expired and was deleted meanwhile: the client may retry
            raise StoreUnavailable("idempotency key without its submission")
        return first

    # -- Reading. --------------------------------------------------------------------------

    def get(self, submission_id: str) -> Submission | None:
        """The submission with this id, read consistently, or None."""
        item = self._call("get_item", Key=submission_key(submission_id), ConsistentRead=True).get(
            "Item"
        )
        return from_item(item) if item else None

    def _pending_ids(self, limit: int):
        """Ids from the sparse pending index, oldest first (the index is eventually consistent)."""
        params = {
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": "#pending = :mark",
            "ExpressionAttributeNames": {"#pending": "pending"},
            "ExpressionAttributeValues": {":mark": {"S": PENDING_MARK}},
            "ScanIndexForward": True,
            "Limit": limit,
        }
        while True:
            page = self._call("query", **params)
            for key in page.get("Items", []):
                yield key["pk"]["S"].removeprefix(SUBMISSION_PREFIX)
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def pending(self, limit: int = 100) -> list[Submission]:
        """Submissions whose e-mails are not all sent, oldest first, each re-read consistently."""
        found = []
        for submission_id in self._pending_ids(limit):
            submission = self.get(submission_id)
            if submission is not None and submission.email_status == EMAIL_PENDING:
                found.append(submission)
            if len(found) >= limit:
                break
        return found

    # -- Delivery progress. ----------------------------------------------------------------

    def record_email(
        self, submission_id: str, sent: list[str], status: str, error: str | None = None
    ) -> None:
        """Save progress after a delivery attempt; leaves the pending index once all is sent."""
        sets = [
            "emails_sent = :sent",
            "email_status = :status",
            "email_attempts = if_not_exists(email_attempts, :zero) + :one",
        ]
        values = _typed({":sent": list(sent), ":status": status, ":zero": 0, ":one": 1})
        removes = []
        if error is None:
            removes.append("last_email_error")
        else:
            sets.append("last_email_error = :error")
            values[":error"] = {"S": error}
        if status == EMAIL_PENDING:
            sets.append("#pending = :mark")
            values[":mark"] = {"S": PENDING_MARK}
        else:
            removes.append("#pending")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._call(
                "update_item",
                Key=submission_key(submission_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#pending": "pending"},
                ExpressionAttributeValues=values,
            )
        except ClientError:  # the item is gone (retention ended): nothing left to record
            return

    def claim(
        self, submission_id: str, owner: str, now: dt.datetime, lease: dt.timedelta
    ) -> Submission | None:
        """Take the right to send a pending submission's e-mails until `now + lease`.

        Returns the submission as it is now, or None when it is not pending any more or another
        worker holds an unexpired lease: two deliveries of the same record send one e-mail.
        """
        try:
            answer = self._call(
                "update_item",
                Key=submission_key(submission_id),
                UpdateExpression="SET lease_owner = :owner, lease_until = :until",
                ConditionExpression=(
                    "attribute_exists(pk) AND email_status = :pending"
                    " AND (attribute_not_exists(lease_until) OR lease_until < :now)"
                ),
                ExpressionAttributeValues=_typed(
                    {
                        ":owner": owner,
                        ":until": epoch(now + lease),
                        ":now": epoch(now),
                        ":pending": EMAIL_PENDING,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError:
            return None
        return from_item(answer["Attributes"])

    def release(self, submission_id: str, owner: str) -> None:
        """Give the lease back early, if it is still ours, so that a retry need not wait."""
        try:
            self._call(
                "update_item",
                Key=submission_key(submission_id),
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError:
            return
