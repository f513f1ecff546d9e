"""The DynamoDB store: atomic adds, idempotency, retention and e-mail progress, under moto."""

from __future__ import annotations

import dataclasses
import datetime as dt

import boto3
import pytest
from aws_testkit import (
    REGION,
    create_table_from_template,
    load_template,
    make_submission,
    throttle_first,
)
from botocore.stub import Stubber
from forms.aws.dynamodb_store import (
    CLIENT_CONFIG,
    MAX_ATTEMPTS,
    DynamoDBStore,
    idempotency_pk,
    to_item,
)
from forms.ports import JOB_PENDING, JOB_SENT, DuplicateSubmission, EmailJob, StoreUnavailable


def raw_item(table: str, pk: str) -> dict | None:
    client = boto3.client("dynamodb", region_name=REGION)
    return client.get_item(TableName=table, Key={"pk": {"S": pk}}).get("Item")


def item_count(table: str) -> int:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Count"]


def test_a_stored_submission_reads_back_identical(store):
    submission = make_submission(pricing={"unit_price_eur": "299", "total_eur": "2990"})
    store.add(submission)
    assert store.get(submission.id) == submission


def test_integers_in_fields_come_back_as_integers_not_decimals(store):
    store.add(make_submission(fields={"quantity": 12, "consent": True}))
    fields = store.get(make_submission().id).fields
    assert fields == {"quantity": 12, "consent": True}
    assert type(fields["quantity"]) is int


def test_unknown_id_reads_as_none(store):
    assert store.get("20990101T000000Z-00000000") is None


def test_ttl_attribute_is_the_retention_limit_in_epoch_seconds(store, table, template):
    submission = make_submission()
    store.add(submission)
    ttl_attribute = template["Resources"]["SubmissionsTable"]["Properties"][
        "TimeToLiveSpecification"
    ]
    item = raw_item(table, "SUB#" + submission.id)
    assert int(item[ttl_attribute["AttributeName"]]["N"]) == int(submission.expires_at.timestamp())


def test_the_same_id_is_never_overwritten(store):
    store.add(make_submission())
    with pytest.raises(StoreUnavailable):
        store.add(make_submission(fields={"first_name": "Autre"}))
    assert store.get(make_submission().id).fields["first_name"] == "Léa"


def test_a_reused_idempotency_key_returns_the_first_submission_and_stores_nothing(store, table):
    first = make_submission(idempotency_key="k-123")
    store.add(first)
    retry = make_submission(id="20261124T173009Z-aaaaaaaa", idempotency_key="k-123")
    with pytest.raises(DuplicateSubmission) as raised:
        store.add(retry)
    assert raised.value.first == first
    assert store.get(retry.id) is None
    assert item_count(table) == 2  # the first submission and its idempotency key


def test_idempotency_keys_are_scoped_to_form_and_territory(store):
    store.add(make_submission(idempotency_key="k-123"))
    other = make_submission(
        id="20261124T173009Z-bbbbbbbb", form="pack-order", idempotency_key="k-123"
    )
    store.add(other)
    assert store.get(other.id) == other


def test_an_expired_idempotency_key_can_be_used_again(store):
    store.add(make_submission(idempotency_key="k-123"))
    later = make_submission(
        id="20261126T090000Z-cccccccc",
        received_at=make_submission().received_at + dt.timedelta(days=2),
        idempotency_key="k-123",
    )
    store.add(later)
    assert store.get(later.id) == later


def test_idempotency_item_holds_no_personal_data_and_expires(store, table):
    submission = make_submission(idempotency_key="k-123")
    store.add(submission)
    item = raw_item(table, idempotency_pk("welcomer-request", "loiret", "k-123"))
    assert set(item) == {"pk", "kind", "submission_id", "expires_epoch"}
    assert int(item["expires_epoch"]["N"]) <= int(submission.expires_at.timestamp())


NOW = dt.datetime(2026, 11, 24, 17, 31, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=2)


def make_job(key="20261124T173005Z-3f9a2c1d/notify", **changes) -> EmailJob:
    values = {
        "key": key,
        "record": key.split("/")[0],
        "sender": "formulaires@territoires.example.fr",
        "recipients": ["mairie@example.org"],
        "message": b"From: a@b\r\nTo: mairie@example.org\r\nSubject: x\r\n\r\nBonjour\r\n",
        "created_at": NOW,
        "expires_at": NOW.replace(year=2029),
    }
    return EmailJob(**{**values, **changes})


def test_a_submission_and_its_jobs_are_one_transaction(store, table):
    submission = make_submission()
    jobs = [make_job(), make_job(key=f"{submission.id}/acknowledgement")]
    store.add(submission, jobs)
    assert store.get_job(jobs[0].key) == jobs[0]
    assert sorted(store.due_jobs(NOW, 10)) == sorted(j.key for j in jobs)
    # The same id again: nothing is written, not even the new jobs.
    with pytest.raises(StoreUnavailable):
        store.add(make_submission(), [make_job(key=f"{submission.id}/other")])
    assert store.get_job(f"{submission.id}/other") is None


def test_a_reused_idempotency_key_stores_no_job(store):
    store.add(make_submission(idempotency_key="k"), [make_job()])
    retry = make_submission(id="20261124T173009Z-aaaaaaaa", idempotency_key="k")
    with pytest.raises(DuplicateSubmission):
        store.add(retry, [make_job(key=f"{retry.id}/notify")])
    assert store.get_job(f"{retry.id}/notify") is None


def test_enqueuing_an_existing_key_is_a_no_op_alone_or_in_a_transaction(store, table):
    job = make_job()
    store.enqueue([job])
    claimed = store.claim_job(job.key, "a", NOW, LEASE)
    store.job_sent(job.key, "a", NOW)
    store.enqueue([job, make_job(key="other/notify")])  # the new one is stored, not the old
    assert store.get_job(job.key).status == JOB_SENT
    assert store.get_job("other/notify") is not None
    state = {
        "Put": {
            "TableName": table,
            "Item": {"pk": {"S": "STATE#1"}, "kind": {"S": "test"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    store.transact([state], [job])  # another flow's state change with an existing job key
    assert raw_item(table, "STATE#1") is not None
    assert store.get_job(job.key).status == JOB_SENT and claimed.attempts == 1


def test_a_failed_condition_of_the_flow_itself_writes_nothing(store, table):
    from botocore.exceptions import ClientError

    store.transact([], [make_job()])
    existing = {
        "Put": {
            "TableName": table,
            "Item": {"pk": {"S": "JOB#" + make_job().key}, "kind": {"S": "x"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    with pytest.raises(ClientError):
        store.transact([existing], [make_job(key="new/notify")])
    assert store.get_job("new/notify") is None


def test_only_one_of_two_senders_can_claim_a_job(store):
    job = make_job()
    store.enqueue([job])
    assert store.claim_job(job.key, "a", NOW, LEASE).attempts == 1
    assert store.claim_job(job.key, "b", NOW, LEASE) is None
    assert store.due_jobs(NOW, 10) == []  # held: not due for anyone else
    later = NOW + 2 * LEASE  # "a" died: its lease ran out
    assert store.due_jobs(later, 10) == [job.key]
    assert store.claim_job(job.key, "b", later, LEASE).attempts == 2
    store.job_sent(job.key, "a", later)  # "a" lost the job: its record is ignored
    assert store.get_job(job.key).status == JOB_PENDING


def test_a_sent_job_leaves_the_index_and_its_message_is_dropped(store, table):
    job = make_job()
    store.enqueue([job])
    store.claim_job(job.key, "a", NOW, LEASE)
    store.job_sent(job.key, "a", NOW)
    item = raw_item(table, "JOB#" + job.key)
    assert "message" not in item and "due" not in item and "lease_owner" not in item
    assert store.claim_job(job.key, "b", NOW, LEASE) is None
    assert store.due_jobs(NOW + dt.timedelta(days=1), 10) == []


def test_a_retried_job_waits_for_its_next_attempt(store):
    job = make_job()
    store.enqueue([job])
    store.claim_job(job.key, "a", NOW, LEASE)
    store.job_retry(job.key, "a", "SES: TooManyRequestsException", NOW + dt.timedelta(minutes=1))
    assert store.due_jobs(NOW, 10) == []
    assert store.due_jobs(NOW + dt.timedelta(minutes=1), 10) == [job.key]
    saved = store.get_job(job.key)
    assert (saved.attempts, saved.last_error) == (1, "SES: TooManyRequestsException")


def test_a_failed_job_is_listed_and_can_be_requeued_once(store):
    job = make_job()
    store.enqueue([job])
    store.claim_job(job.key, "a", NOW, LEASE)
    store.job_failed(job.key, "a", "SES: MessageRejected", NOW)
    assert [j.key for j in store.failed_jobs()] == [job.key]
    assert store.due_jobs(NOW + dt.timedelta(days=1), 10) == []
    assert store.requeue_failed(job.key, NOW) and not store.requeue_failed(job.key, NOW)
    assert store.due_jobs(NOW, 10) == [job.key]
    assert store.get_job(job.key).attempts == 0 and store.failed_jobs() == []


def test_due_jobs_come_earliest_first(store):
    late = make_job(key="b/notify", created_at=NOW + dt.timedelta(seconds=5))
    early = make_job(key="a/notify", created_at=NOW)
    store.enqueue([late, early])
    assert store.due_jobs(NOW + dt.timedelta(minutes=1), 10) == ["a/notify", "b/notify"]


def test_first_release_items_are_listed_until_given_their_jobs(store, table):
    legacy = make_submission()
    item = {**to_item(legacy), "pending": {"S": "1"}}  # as the first release wrote it
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=table, Item=item)
    new = make_submission(id="20261124T180000Z-00000009")
    store.add(new, [make_job(key=f"{new.id}/notify")])
    assert [s.id for s in store.legacy_pending()] == [legacy.id]  # never the new ones
    store.adopt(legacy, [make_job()])
    assert store.legacy_pending() == []
    assert store.get_job(make_job().key) is not None


def test_a_dynamodb_failure_is_store_unavailable_and_writes_nothing(table):
    client = boto3.client("dynamodb", region_name=REGION)
    store = DynamoDBStore(table, dynamodb_client=client)
    with Stubber(client) as stub:
        stub.add_client_error("transact_write_items", "InternalServerError", http_status_code=500)
        with pytest.raises(StoreUnavailable):
            store.add(make_submission(idempotency_key="k-123"))
    assert item_count(table) == 0


def test_throttling_is_retried_by_botocore_before_giving_up(moto_server, no_backoff):
    # A real endpoint: under mock_aws moto would execute the throttled attempts as well.
    client = boto3.client("dynamodb", endpoint_url=moto_server, config=CLIENT_CONFIG)
    table = create_table_from_template(load_template(), "retries", client)
    attempts = throttle_first(client, "TransactWriteItems", 2, "ThrottlingException")
    store = DynamoDBStore(table, dynamodb_client=client)
    store.add(make_submission())
    assert len(attempts) == 3
    assert len(no_backoff) == 2  # botocore waited before each retry
    assert store.get(make_submission().id) == make_submission()


def test_throttling_that_outlasts_the_retries_is_store_unavailable(moto_server, no_backoff):
    client = boto3.client("dynamodb", endpoint_url=moto_server, config=CLIENT_CONFIG)
    table = create_table_from_template(load_template(), "outlasting", client)
    attempts = throttle_first(client, "TransactWriteItems", 99, "ThrottlingException")
    store = DynamoDBStore(table, dynamodb_client=client)
    with pytest.raises(StoreUnavailable):
        store.add(make_submission())
    assert len(attempts) == MAX_ATTEMPTS
    assert store.get(make_submission().id) is None


def test_submission_dataclass_and_item_cover_the_same_fields():
    names = {f.name for f in dataclasses.fields(make_submission())}
    from forms.aws.dynamodb_store import to_item

    stored = set(
        to_item(make_submission(pricing={"a": "1"}, idempotency_key="k", last_email_error="x"))
    )
    assert names <= stored
