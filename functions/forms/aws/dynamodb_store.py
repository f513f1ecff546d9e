"""SubmissionStore over one DynamoDB table (see template.yaml, `SubmissionsTable`).

Three kinds of item share the table's key `pk`:

    SUB#<id>                           a submission (its fields, pricing)
    IDEM#<form>#<territory>#<sha256>   an idempotency key, pointing at the first submission
    JOB#<key>                          an outgoing e-mail job (forms.delivery)

A submission, its idempotency item and its e-mail jobs are written in one transaction with a
condition on each, so a retried POST either finds the first submission or writes nothing:
never half of one, never a submission without its e-mails. Other flows add their own items
and jobs the same way: `store.transact(items, jobs)`.

Pending jobs carry `due` = "1", the key of the sparse index `jobs-due` (sorted by
`next_attempt_at`): senders read exactly the backlog. Submissions of the first release carry
`pending` (index `pending-by-age`) until the sweeper gives them their jobs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal

import boto3
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..ports import (
    EMAIL_FAILED,
    EMAIL_PENDING,
    EMAIL_SENT,
    JOB_FAILED,
    JOB_PENDING,
    JOB_SENT,
    DuplicateSubmission,
    EmailJob,
    StoreUnavailable,
    Submission,
)

SUBMISSION_PREFIX = "SUB#"
IDEMPOTENCY_PREFIX = "IDEM#"
JOB_PREFIX = "JOB#"
COUNTER_PREFIX = "COUNT#"  # rate counters (forms.abuse): pseudonymous keys, a TTL of days
JOB_KIND = "email-job"
PENDING_INDEX = "pending-by-age"  # first-release submissions still to be given their jobs
PENDING_MARK = "1"  # value of the sparse `pending` attribute: one partition of the index
DUE_INDEX = "jobs-due"  # pending e-mail jobs by next attempt
DUE_MARK = "1"
TRANSACTION_MAX_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
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
    if isinstance(value, Binary):
        return value.value
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


def job_key(key: str) -> dict:
    """The typed key of an e-mail job item."""
    return {"pk": {"S": JOB_PREFIX + key}}


def job_item(job: EmailJob) -> dict:
    """The typed DynamoDB item of an e-mail job."""
    values = {
        "kind": JOB_KIND,
        "key": job.key,
        "record": job.record,
        "sender": job.sender,
        "recipients": list(job.recipients),
        "message": job.message,
        "created_at": iso(job.created_at),
        "expires_at": iso(job.expires_at),
        "expires_epoch": epoch(job.expires_at),
        "status": job.status,
        "attempts": job.attempts,
        "next_attempt_at": iso(job.next_attempt_at),
    }
    optional = {
        "last_error": job.last_error,
        "sent_at": iso(job.sent_at) if job.sent_at else None,
        "due": DUE_MARK if job.status == JOB_PENDING else None,
    }
    values.update({k: v for k, v in optional.items() if v is not None})
    return {**job_key(job.key), **_typed(values)}


def job_from_item(item: dict) -> EmailJob:
    """The EmailJob of a typed DynamoDB item."""
    values = {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}
    moment = dt.datetime.fromisoformat
    return EmailJob(
        key=values["key"],
        record=values["record"],
        sender=values["sender"],
        recipients=list(values["recipients"]),
        message=bytes(values.get("message") or b""),
        created_at=moment(values["created_at"]),
        expires_at=moment(values["expires_at"]),
        status=values["status"],
        attempts=values.get("attempts", 0),
        next_attempt_at=moment(values["next_attempt_at"]),
        last_error=values.get("last_error"),
        sent_at=moment(values["sent_at"]) if values.get("sent_at") else None,
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

    def transact(self, items: list[dict], jobs=()) -> None:
        """Write `items` (TransactItems) and the puts of `jobs` in one transaction.

        A job whose key is already stored is left untouched (the transaction is retried
        without it); any other failed condition raises the ClientError for the caller to read
        (`CancellationReasons` in the order of `items`).
        """
        job_puts = [self._put(job_item(job), "attribute_not_exists(pk)") for job in jobs]
        if len(items) + len(job_puts) > TRANSACTION_MAX_ITEMS:
            raise ValueError("too many items for one DynamoDB transaction")
        while items or job_puts:
            try:
                # botocore adds a ClientRequestToken: its own retries of this call cannot double it.
                self.client.transact_write_items(TransactItems=items + job_puts)
                return
            except ClientError as error:
                failed = _failed_conditions(error)
                mine, theirs = failed[: len(items)], failed[len(items) :]
                if not any(theirs) or any(mine):
                    raise
                job_puts = [put for put, exists in zip(job_puts, theirs, strict=True) if not exists]

    def add(self, submission: Submission, jobs=()) -> None:
        """Store a new submission, its idempotency key and its jobs: all or nothing."""
        items = [self._put(to_item(submission), "attribute_not_exists(pk)")]
        if submission.idempotency_key:
            items.append(self._idempotency_put(submission))
        try:
            self.transact(items, jobs)
        except ClientError as error:
            failed = _failed_conditions(error)
            if len(failed) >= 2 and failed[1] and submission.idempotency_key:
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

    def _query_keys(self, params: dict, limit: int):
        """The `pk` of every item a paginated index query returns, at most `limit`."""
        count = 0
        while True:
            page = self._call("query", **params)
            for item in page.get("Items", []):
                yield item["pk"]["S"]
                count += 1
                if count >= limit:
                    return
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- First-release submissions. --------------------------------------------------------

    def legacy_pending(self, limit: int = 100) -> list[Submission]:
        """First-release submissions not all sent (sparse index `pending-by-age`), oldest first."""
        params = {
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": "#pending = :mark",
            "ExpressionAttributeNames": {"#pending": "pending"},
            "ExpressionAttributeValues": {":mark": {"S": PENDING_MARK}},
            "ScanIndexForward": True,
            "Limit": limit,
        }
        found = []
        for pk in self._query_keys(params, limit):  # the index is eventually consistent
            submission = self.get(pk.removeprefix(SUBMISSION_PREFIX))
            if submission is not None and submission.email_status == EMAIL_PENDING:
                found.append(submission)
        return found

    def adopt(
        self, submission: Submission, jobs: list[EmailJob], failure: str | None = None
    ) -> None:
        """Give a first-release submission its jobs (or set it aside): it leaves the index."""
        values = {}
        if failure is not None:
            sets = "SET email_status = :status, last_email_error = :error"
            values = {":status": {"S": EMAIL_FAILED}, ":error": {"S": failure}}
        elif not jobs:
            sets, values = "SET email_status = :status", {":status": {"S": EMAIL_SENT}}
        else:
            sets = ""
        update = {
            "TableName": self.table_name,
            "Key": submission_key(submission.id),
            "UpdateExpression": f"{sets} REMOVE #pending".strip(),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#pending": "pending"},
        }
        if values:
            update["ExpressionAttributeValues"] = values
        try:
            self.transact([{"Update": update}], jobs)
        except ClientError as error:
            if any(_failed_conditions(error)):
                return  # erased or expired meanwhile: nothing left to send
            raise StoreUnavailable(
                f"DynamoDB TransactWriteItems: {error.response['Error']['Code']}"
            ) from None
        except BotoCoreError as error:
            raise StoreUnavailable(f"DynamoDB TransactWriteItems: {type(error).__name__}") from None

    def requeue_legacy(self, submission_id: str) -> bool:
        """A failed first-release submission pending again (adopted at the next sweep)."""
        return self._conditional_update(
            submission_key(submission_id),
            "SET email_status = :pending, #pending = :mark",
            "email_status = :failed",
            {":pending": EMAIL_PENDING, ":mark": PENDING_MARK, ":failed": EMAIL_FAILED},
            {"#pending": "pending"},
        )

    # -- Counters (forms.abuse). -----------------------------------------------------------

    def hit(self, key: str, expires_at: dt.datetime, weight: int = 1) -> int:
        """Add `weight` to the counter `key` atomically (deleted by TTL after `expires_at`)."""
        answer = self._call(
            "update_item",
            Key={"pk": {"S": COUNTER_PREFIX + key}},
            UpdateExpression="ADD #count :weight SET #kind = :kind,"
            " expires_epoch = if_not_exists(expires_epoch, :expires)",
            ExpressionAttributeNames={"#count": "count", "#kind": "kind"},
            ExpressionAttributeValues=_typed(
                {":weight": weight, ":kind": "counter", ":expires": epoch(expires_at)}
            ),
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["count"]["N"])

    # -- E-mail jobs (ports.EmailJobStore). ------------------------------------------------

    def enqueue(self, jobs) -> None:
        """Store jobs on their own (a key already stored is left untouched)."""
        jobs = list(jobs)
        for start in range(0, len(jobs), TRANSACTION_MAX_ITEMS):
            try:
                self.transact([], jobs[start : start + TRANSACTION_MAX_ITEMS])
            except ClientError as error:
                code = error.response["Error"]["Code"]
                raise StoreUnavailable(f"DynamoDB TransactWriteItems: {code}") from None
            except BotoCoreError as error:
                raise StoreUnavailable(
                    f"DynamoDB TransactWriteItems: {type(error).__name__}"
                ) from None

    def due_jobs(self, now: dt.datetime, limit: int = 50) -> list[str]:
        """Pending jobs due by `now` whose lease (if any) ran out, earliest first."""
        params = {
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "#due = :mark AND next_attempt_at <= :now",
            "FilterExpression": "attribute_not_exists(lease_until) OR lease_until < :now",
            "ExpressionAttributeNames": {"#due": "due"},
            "ExpressionAttributeValues": {":mark": {"S": DUE_MARK}, ":now": {"S": iso(now)}},
            "ScanIndexForward": True,
            "Limit": limit,
        }
        return [pk.removeprefix(JOB_PREFIX) for pk in self._query_keys(params, limit)]

    def _conditional_update(
        self,
        key: dict,
        expression: str,
        condition: str,
        values: dict,
        names: dict | None = None,
        return_new: bool = False,
    ):
        """One conditional update_item: the new item (or True), or None/False when the
        condition failed."""
        params = {
            "Key": key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": _typed(values),
        }
        # DynamoDB refuses names the expressions do not use.
        used = {k: v for k, v in (names or {}).items() if k in expression + condition}
        if used:
            params["ExpressionAttributeNames"] = used
        if return_new:
            params["ReturnValues"] = "ALL_NEW"
        try:
            answer = self._call("update_item", **params)
        except ClientError:  # the condition failed (other errors are StoreUnavailable)
            return None if return_new else False
        return answer["Attributes"] if return_new else True

    def claim_job(
        self, key: str, owner: str, now: dt.datetime, lease: dt.timedelta
    ) -> EmailJob | None:
        """Take the right to send `key` until now + lease; None if sent, failed, gone or held."""
        item = self._conditional_update(
            job_key(key),
            "SET lease_owner = :owner, lease_until = :until, attempts = attempts + :one",
            "#status = :pending AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            {
                ":owner": owner,
                ":until": iso(now + lease),
                ":now": iso(now),
                ":one": 1,
                ":pending": JOB_PENDING,
            },
            {"#status": "status"},
            return_new=True,
        )
        return job_from_item(item) if item else None

    def _settle(self, key: str, owner: str, expression: str, values: dict) -> None:
        """Record an attempt's outcome, only if `owner` still holds the job."""
        self._conditional_update(
            job_key(key),
            expression,
            "lease_owner = :owner",
            {**values, ":owner": owner},
            {"#status": "status", "#due": "due", "#message": "message"},
        )

    def job_sent(self, key: str, owner: str, now: dt.datetime) -> None:
        """Sent: out of the due index, the message bytes dropped."""
        self._settle(
            key,
            owner,
            "SET #status = :sent, sent_at = :now"
            " REMOVE #due, lease_owner, lease_until, #message, last_error",
            {":sent": JOB_SENT, ":now": iso(now)},
        )

    def job_retry(self, key: str, owner: str, error: str, next_attempt_at: dt.datetime) -> None:
        """Pending again from `next_attempt_at`."""
        self._settle(
            key,
            owner,
            "SET next_attempt_at = :next, last_error = :error REMOVE lease_owner, lease_until",
            {":next": iso(next_attempt_at), ":error": error},
        )

    def job_failed(self, key: str, owner: str, reason: str, now: dt.datetime) -> None:
        """Set aside: out of the due index, kept with its reason."""
        self._settle(
            key,
            owner,
            "SET #status = :failed, last_error = :error REMOVE #due, lease_owner, lease_until",
            {":failed": JOB_FAILED, ":error": reason},
        )

    def get_job(self, key: str) -> EmailJob | None:
        """The job with this key, read consistently, or None."""
        item = self._call("get_item", Key=job_key(key), ConsistentRead=True).get("Item")
        return job_from_item(item) if item else None

    def scan_jobs(self, condition: str = "", values: dict | None = None, projection: str = ""):
        """Every job item matching `condition` (a scan: for operators, never a request)."""
        params = {
            "FilterExpression": "#kind = :job" + (f" AND ({condition})" if condition else ""),
            "ExpressionAttributeNames": {
                "#kind": "kind",
                "#status": "status",
                "#record": "record",
                "#key": "key",
            },
            "ExpressionAttributeValues": _typed({":job": JOB_KIND, **(values or {})}),
            "ConsistentRead": True,
        }
        if projection:
            params["ProjectionExpression"] = projection
        names = params["ExpressionAttributeNames"]
        for name in [n for n in names if n != "#kind" and n not in condition + projection]:
            del names[name]
        while True:
            page = self._call("scan", **params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def failed_jobs(self, limit: int = 1000) -> list[EmailJob]:
        """Jobs set aside as failed, oldest first."""
        items = self.scan_jobs("#status = :failed", {":failed": JOB_FAILED})
        jobs = sorted(map(job_from_item, items), key=lambda j: (j.created_at, j.key))
        return jobs[:limit]

    def requeue_failed(self, key: str, now: dt.datetime) -> bool:
        """Failed → pending at once (back in the due index), attempts from zero."""
        return self._conditional_update(
            job_key(key),
            "SET #status = :pending, attempts = :zero, next_attempt_at = :now, #due = :mark",
            "#status = :failed",
            {
                ":pending": JOB_PENDING,
                ":zero": 0,
                ":now": iso(now),
                ":mark": DUE_MARK,
                ":failed": JOB_FAILED,
            },
            {"#status": "status", "#due": "due"},
        )
