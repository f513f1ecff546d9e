"""Operator queries over the production table (see template.yaml and forms.aws.dynamodb_store).

`list` and `export` of one territory read the `territory-by-date` index (keys, form and status
only: no personal data is copied there), then the items themselves. Finding an e-mail address
is a scan of the table: the address is inside each item's `fields` map, and DynamoDB has no
case-insensitive filter. At this scale (thousands of items) a scan costs cents and seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from ..aws.dynamodb_store import (
    SUBMISSION_PREFIX,
    DynamoDBStore,
    from_item,
    idempotency_pk,
    iso,
    job_key,
    submission_key,
)
from ..ports import EMAIL_FAILED, EMAIL_PENDING, EMAIL_SENT, JOB_FAILED, JOB_PENDING, Submission
from .queries import Selection, Summary, same_address

BY_DATE_INDEX = "territory-by-date"
BATCH_GET_MAX = 100  # DynamoDB's limit per BatchGetItem


def _summary(item: dict) -> Summary:
    return Summary(
        id=item["pk"]["S"].removeprefix(SUBMISSION_PREFIX),
        received_at=dt.datetime.fromisoformat(item["received_at"]["S"]),
        form=item["form"]["S"],
        territory=item["territory"]["S"],
        email_status=item["email_status"]["S"],
    )


class DynamoDBAdmin:
    """Operator queries over a DynamoDBStore's table."""

    def __init__(self, store: DynamoDBStore):
        self.store = store

    @property
    def client(self):
        return self.store.client

    def _pages(self, operation: str, **params) -> Iterator[dict]:
        """Every item of a paginated query or scan."""
        params["TableName"] = self.store.table_name
        while True:
            page = getattr(self.client, operation)(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _by_date(self, selection: Selection) -> Iterator[dict]:
        """A territory's index entries, oldest first, within the selection's days."""
        lower = iso(selection.lower()) if selection.start else "0"
        upper = iso(selection.upper() - dt.timedelta(microseconds=1)) if selection.end else "9"
        return self._pages(
            "query",
            IndexName=BY_DATE_INDEX,
            KeyConditionExpression="#t = :t AND #r BETWEEN :lower AND :upper",
            ExpressionAttributeNames={"#t": "territory", "#r": "received_at"},
            ExpressionAttributeValues={
                ":t": {"S": selection.territory},
                ":lower": {"S": lower},
                ":upper": {"S": upper},
            },
        )

    def _all_summaries(self) -> Iterator[dict]:
        """Every submission's summary attributes (no territory given: a scan)."""
        return self._pages(
            "scan",
            FilterExpression="#kind = :submission",
            ProjectionExpression="pk, #r, #form, #t, #status",
            ExpressionAttributeNames={
                "#kind": "kind",
                "#r": "received_at",
                "#form": "form",
                "#t": "territory",
                "#status": "email_status",
            },
            ExpressionAttributeValues={":submission": {"S": "submission"}},
        )

    def email_states(self) -> dict[str, str]:
        """Each record's e-mail state from its jobs: failed, else pending, else sent (a scan)."""
        states: dict[str, set[str]] = {}
        for item in self.store.scan_jobs(projection="#record, #status"):
            states.setdefault(item["record"]["S"], set()).add(item["status"]["S"])
        summary = {}
        for record, found in states.items():
            summary[record] = (
                EMAIL_FAILED
                if JOB_FAILED in found
                else EMAIL_PENDING
                if JOB_PENDING in found
                else EMAIL_SENT
            )
        return summary

    def summaries(self, selection: Selection) -> list[Summary]:
        """The selection's lines for `list`, oldest first, with the state of their e-mails."""
        items = self._by_date(selection) if selection.territory else self._all_summaries()
        found = [s for s in map(_summary, items) if selection.matches(s)]
        states = self.email_states()
        found = [
            dataclasses.replace(s, email_status=states[s.id]) if s.id in states else s
            for s in found
        ]
        return sorted(found, key=lambda s: (s.received_at, s.id))

    def failed_legacy(self) -> list[Submission]:
        """First-release submissions set aside as failed (a scan)."""
        items = self._pages(
            "scan",
            FilterExpression="#kind = :submission AND email_status = :failed",
            ProjectionExpression="pk",
            ExpressionAttributeNames={"#kind": "kind"},
            ExpressionAttributeValues={
                ":submission": {"S": "submission"},
                ":failed": {"S": EMAIL_FAILED},
            },
        )
        return self._get_many([i["pk"]["S"].removeprefix(SUBMISSION_PREFIX) for i in items])

    def requeue_legacy(self, submission_id: str) -> bool:
        return self.store.requeue_legacy(submission_id)

    def _get_many(self, ids: list[str]) -> list[Submission]:
        """Full submissions by id (BatchGetItem, consistent reads), in the order given."""
        found: dict[str, Submission] = {}
        for start in range(0, len(ids), BATCH_GET_MAX):
            keys = [submission_key(i) for i in ids[start : start + BATCH_GET_MAX]]
            request = {self.store.table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.store.table_name, []):
                    submission = from_item(item)
                    found[submission.id] = submission
                request = answer.get("UnprocessedKeys") or None
        return [found[i] for i in ids if i in found]

    def select(self, selection: Selection) -> list[Submission]:
        """The selected submissions, oldest first."""
        return self._get_many([s.id for s in self.summaries(selection)])

    def with_email(self, address: str) -> list[Submission]:
        """Every submission sent with this address (a scan of the addresses only)."""
        items = self._pages(
            "scan",
            FilterExpression="#kind = :submission",
            ProjectionExpression="pk, #fields.#email",
            ExpressionAttributeNames={"#kind": "kind", "#fields": "fields", "#email": "email"},
            ExpressionAttributeValues={":submission": {"S": "submission"}},
        )
        ids = [
            item["pk"]["S"].removeprefix(SUBMISSION_PREFIX)
            for item in items
            if same_address(item.get("fields", {}).get("M", {}).get("email", {}).get("S"), address)
        ]
        return sorted(self._get_many(ids), key=lambda s: s.id)

    def _jobs_to_erase(self, submissions: list[Submission], address: str | None) -> list[str]:
        """Keys of the jobs about these submissions or addressed to `address` (a scan)."""
        records = {s.id for s in submissions}
        return [
            item["key"]["S"]
            for item in self.store.scan_jobs(projection="#key, #record, recipients")
            if item["record"]["S"] in records
            or (address and any(same_address(r["S"], address) for r in item["recipients"]["L"]))
        ]

    def erase(self, submissions: list[Submission], address: str | None = None) -> int:
        """Delete these submissions, their e-mail jobs (and any job to `address`) and the
        idempotency items that point at them."""
        for key in self._jobs_to_erase(submissions, address):
            self.client.delete_item(TableName=self.store.table_name, Key=job_key(key))
        for submission in submissions:
            self.client.delete_item(
                TableName=self.store.table_name, Key=submission_key(submission.id)
            )
            if submission.idempotency_key:
                self._erase_idempotency(submission)
        return len(submissions)

    def _erase_idempotency(self, submission: Submission) -> None:
        """The idempotency item, only if it still points at this submission."""
        pk = idempotency_pk(submission.form, submission.territory, submission.idempotency_key)
        try:
            self.client.delete_item(
                TableName=self.store.table_name,
                Key={"pk": {"S": pk}},
                ConditionExpression="submission_id = :id",
                ExpressionAttributeValues={":id": {"S": submission.id}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return  # expired and reused by another submission since: not this person's
