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
)
from forms.ports import EMAIL_PENDING, EMAIL_SENT, DuplicateSubmission, StoreUnavailable


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


def test_pending_lists_unsent_submissions_oldest_first(store):
    older = make_submission(
        id="20261124T100000Z-00000001", received_at=dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    )
    newer = make_submission(
        id="20261124T110000Z-00000002", received_at=dt.datetime(2026, 11, 24, 11, tzinfo=dt.UTC)
    )
    spam = make_submission(id="20261124T090000Z-00000003", email_status="spam")
    for submission in (newer, spam, older):
        store.add(submission)
    assert [s.id for s in store.pending()] == [older.id, newer.id]


def test_recording_all_sent_takes_the_submission_out_of_pending(store):
    submission = make_submission()
    store.add(submission)
    store.record_email(submission.id, ["notify", "acknowledgement"], EMAIL_SENT)
    assert store.pending() == []
    saved = store.get(submission.id)
    assert (saved.email_status, saved.emails_sent, saved.email_attempts) == (
        EMAIL_SENT,
        ["notify", "acknowledgement"],
        1,
    )


def test_a_partial_failure_is_recorded_and_stays_pending(store):
    submission = make_submission()
    store.add(submission)
    store.record_email(submission.id, ["notify"], EMAIL_PENDING, "SES: TooManyRequestsException")
    [saved] = store.pending()
    assert (saved.emails_sent, saved.email_attempts, saved.last_email_error) == (
        ["notify"],
        1,
        "SES: TooManyRequestsException",
    )


def test_only_one_of_two_workers_can_claim_a_submission(store):
    submission = make_submission()
    store.add(submission)
    now = dt.datetime(2026, 11, 24, 17, 31, tzinfo=dt.UTC)
    lease = dt.timedelta(minutes=2)
    assert store.claim(submission.id, "worker-a", now, lease) == submission
    assert store.claim(submission.id, "worker-b", now, lease) is None
    # Once the lease has run out (the first worker died), another may take over.
    assert store.claim(submission.id, "worker-b", now + 2 * lease, lease) is not None


def test_a_released_claim_can_be_taken_again_at_once(store):
    submission = make_submission()
    store.add(submission)
    now = dt.datetime(2026, 11, 24, 17, 31, tzinfo=dt.UTC)
    store.claim(submission.id, "worker-a", now, dt.timedelta(minutes=2))
    store.release(submission.id, "worker-a")
    assert store.claim(submission.id, "worker-b", now, dt.timedelta(minutes=2)) is not None


def test_a_sent_submission_cannot_be_claimed(store):
    submission = make_submission()
    store.add(submission)
    store.record_email(submission.id, ["notify", "acknowledgement"], EMAIL_SENT)
    now = dt.datetime(2026, 11, 24, 17, 31, tzinfo=dt.UTC)
    assert store.claim(submission.id, "worker-a", now, dt.timedelta(minutes=2)) is None


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
