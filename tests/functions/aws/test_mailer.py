"""E-mail delivery on AWS: stream records → SES (moto), duplicates, faults, the sweeper."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from types import SimpleNamespace

import boto3
import pytest
from aws_testkit import (
    REGION,
    SENDER,
    _RawBody,
    make_submission,
    stream_event,
    throttle_first,
)
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from forms.aws import handlers
from forms.aws.dynamodb_store import to_item
from forms.aws.ses_mailer import SESMailer
from forms.delivery import message_id, new_job
from forms.ports import MailError
from formskit import NOW, Clock, load_event


@pytest.fixture
def lambda_env(table, ses, catalogue_path, monkeypatch):
    """The functions' environment against moto, with a clock the test moves."""
    monkeypatch.setenv("CATALOGUE_PATH", str(catalogue_path))
    monkeypatch.setenv("FORM_TOKEN_KEY", "6hyzf3xLBnG-PwCNIbpOHbVxzA8_5mwYrwz9FhhE6l8=")
    monkeypatch.setattr(handlers, "clock", Clock(NOW))
    handlers.reset()
    yield SimpleNamespace(
        store=handlers.store(), catalogue=handlers.catalogue(), clock=handlers.clock
    )
    handlers.reset()


class Context:
    """The part of Lambda's context object the handlers use."""

    def __init__(self, request_id: str = "req-1", remaining_ms: int = 900_000):
        self.aws_request_id = request_id
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def submit(**changes) -> str:
    """A welcomer request through the public handler; its id."""
    event = load_event("welcomer_request_json.json")
    event["headers"].pop("idempotency-key", None)
    if changes:
        event["body"] = json.dumps({**json.loads(event["body"]), **changes})
    response = handlers.welcomer_request(event)
    return json.loads(response["body"])["id"]


def kinds(sent) -> list[str]:
    """Which messages moto's SES recorded (notify, acknowledgement), in order."""
    return [email.message_from_string(m.raw_data)["X-Forms-Message"] for m in sent]


def job_records(event: dict) -> list[dict]:
    return [r for r in event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"].startswith("JOB#")]


def test_a_new_submission_is_emailed_to_the_territory_and_acknowledged(lambda_env, table, ses):
    submission_id = submit()
    answer = handlers.stream_mailer(stream_event(table), Context())
    assert answer == {"batchItemFailures": []}
    assert sorted(kinds(ses)) == ["acknowledgement", "notify"]
    notify = next(
        email.message_from_string(m.raw_data)
        for m in ses
        if "notify" in email.message_from_string(m.raw_data)["X-Forms-Message"]
    )
    territory = lambda_env.catalogue.get("loiret")
    assert sorted(a.strip() for a in notify["To"].split(",")) == sorted(territory.notify)
    assert "claire.martin@example.org" in notify["Reply-To"]
    assert notify["X-Forms-Message-Id"] == message_id(
        f"{submission_id}/notify", SENDER.split("@")[1]
    )
    assert ses[0].source == SENDER
    assert job_states(lambda_env.store, submission_id) == ["sent", "sent"]


def job_states(store, submission_id) -> list[str]:
    return [store.get_job(f"{submission_id}/{k}").status for k in ("notify", "acknowledgement")]


def test_the_mailer_needs_no_token_key(lambda_env, table, ses, monkeypatch):
    submit()
    # The mailer's role may not read the token secret: it must never ask for it.
    monkeypatch.delenv("FORM_TOKEN_KEY")
    monkeypatch.delenv("FORM_TOKEN_SECRET_ARN", raising=False)
    handlers.reset()
    assert handlers.stream_mailer(stream_event(table), Context()) == {"batchItemFailures": []}
    assert sorted(kinds(ses)) == ["acknowledgement", "notify"]


def test_the_same_stream_record_delivered_twice_sends_one_email_of_each_kind(
    lambda_env, table, ses
):
    submit()
    event = stream_event(table)
    handlers.stream_mailer(event, Context("req-1"))
    handlers.stream_mailer(event, Context("req-2"))
    assert sorted(kinds(ses)) == ["acknowledgement", "notify"]


def test_a_record_whose_job_another_sender_holds_is_skipped(lambda_env, table, ses):
    submission_id = submit()
    for kind in ("notify", "acknowledgement"):
        lambda_env.store.claim_job(f"{submission_id}/{kind}", "other", NOW, handlers.LEASE)
    answer = handlers.stream_mailer(stream_event(table), Context())
    assert (answer, ses) == ({"batchItemFailures": []}, [])


def test_submissions_idempotency_items_and_updates_are_ignored(lambda_env, table, ses):
    submit()
    event = stream_event(table)
    handlers.stream_mailer(event, Context())
    ses.clear()
    later = stream_event(table)  # now also holds the MODIFY records of the delivery itself
    assert len(later["Records"]) > len(job_records(event))
    assert handlers.stream_mailer(later, Context("req-2")) == {"batchItemFailures": []}
    assert ses == []


def test_ses_throttling_is_recorded_on_the_job_and_the_sweeper_sends_it_later(
    lambda_env, table, ses
):
    submission_id = submit()
    event = stream_event(table)
    with Stubber(handlers.mailer().client) as stub:
        for _ in range(2):
            stub.add_client_error("send_email", "TooManyRequestsException", http_status_code=429)
        answer = handlers.stream_mailer(event, Context())
    assert answer == {"batchItemFailures": []}  # the job keeps it, with backoff: no hot retry
    job = lambda_env.store.get_job(f"{submission_id}/notify")
    assert (job.status, job.attempts, job.last_error) == (
        "pending",
        1,
        "SES: TooManyRequestsException",
    )
    lambda_env.clock.advance(minutes=1)
    assert handlers.sweeper({}, Context("sweep-0"))["retried"] == 0  # backoff, then grace
    lambda_env.clock.advance(minutes=4)
    counts = handlers.sweeper({}, Context("sweep-1"))
    assert (counts["retried"], counts["sent"]) == (2, 2)
    assert sorted(kinds(ses)) == ["acknowledgement", "notify"]


def test_an_outage_after_the_first_message_resends_only_the_second(lambda_env, table, ses):
    submission_id = submit()
    event = stream_event(table)
    with Stubber(handlers.mailer().client) as stub:
        stub.add_response("send_email", {"MessageId": "sent-before-the-outage"})
        stub.add_client_error("send_email", "ServiceUnavailable", http_status_code=503)
        handlers.stream_mailer(event, Context())
    assert sorted(job_states(lambda_env.store, submission_id)) == ["pending", "sent"]
    lambda_env.clock.advance(minutes=5)
    handlers.sweeper({}, Context("sweep"))
    assert len(ses) == 1
    assert job_states(lambda_env.store, submission_id) == ["sent", "sent"]


def test_a_store_outage_during_delivery_reports_the_record_for_retry(lambda_env, table, ses):
    submit()
    event = stream_event(table)
    with Stubber(lambda_env.store.client) as stub:
        for _ in job_records(event):
            stub.add_client_error(
                "update_item", "ProvisionedThroughputExceededException", http_status_code=400
            )
        answer = handlers.stream_mailer(event, Context())
    reported = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    assert reported == {r["dynamodb"]["SequenceNumber"] for r in job_records(event)}
    assert ses == []


def test_the_sweeper_sends_what_the_stream_never_handed_over(lambda_env, ses):
    submission_id = submit()  # the stream mailer never ran (its records expired, say)
    lambda_env.clock.advance(minutes=15)
    counts = handlers.sweeper({}, Context("sweep-1"))
    assert (counts["retried"], counts["sent"]) == (2, 2)
    assert job_states(lambda_env.store, submission_id) == ["sent", "sent"]


def test_the_sweeper_leaves_young_jobs_to_the_stream(lambda_env, ses):
    submit()
    lambda_env.clock.advance(minutes=1)
    assert handlers.sweeper({}, Context())["retried"] == 0
    assert ses == []


def test_the_sweeper_stops_before_its_time_runs_out(lambda_env, ses):
    submit()
    lambda_env.clock.advance(minutes=15)
    assert handlers.sweeper({}, Context(remaining_ms=1_000))["retried"] == 0


def test_the_sweeper_drains_a_backlog_beyond_one_batch_in_one_run(lambda_env, ses, monkeypatch):
    monkeypatch.setattr(handlers, "SWEEP_BATCH", 8)
    monkeypatch.setenv("FORMS_RATE_LIMIT", "off")  # fifteen requests from one test client
    handlers.reset()
    for number in range(15):  # 30 jobs: four batches
        submit(email=f"person-{number}@example.org")
    lambda_env.clock.advance(minutes=15)
    counts = handlers.sweeper({}, Context())
    assert (counts["retried"], counts["sent"]) == (30, 30)
    assert len(ses) == 30


def refused_job(number: int):
    message = email.message.EmailMessage()
    message["From"], message["To"] = SENDER, f"refused-{number}@example.org"
    message["Subject"] = "Accusé de réception"
    message.set_content("Bonjour")
    return new_job(
        f"2026112{number:04d}/acknowledgement", message, "r", NOW, NOW.replace(year=2029)
    )


def test_a_hundred_refused_jobs_do_not_block_the_next_good_one(lambda_env, table, ses):
    lambda_env.store.enqueue([refused_job(n) for n in range(100)])  # due first: the oldest
    lambda_env.clock.advance(seconds=1)
    good = submit(email="good@example.org")
    client = handlers.mailer().client

    def refuse(request, **_):
        data = base64.b64decode(json.loads(request.body)["Content"]["Raw"]["Data"])
        if b"To: refused-" in data:
            body = b'{"message":"Address blacklisted."}'
            headers = {"x-amzn-errortype": "MessageRejected", "content-type": "application/json"}
            return AWSResponse(request.url, 400, headers, _RawBody(body))
        return None

    client.meta.events.register("before-send.sesv2.SendEmail", refuse)
    lambda_env.clock.advance(minutes=15)
    counts = handlers.sweeper({}, Context())
    assert (counts["failed"], counts["sent"]) == (100, 2)
    assert job_states(lambda_env.store, good) == ["sent", "sent"]
    failed = lambda_env.store.failed_jobs()
    assert len(failed) == 100 and {j.last_error for j in failed} == {"SES: MessageRejected"}


def test_first_release_items_are_given_their_jobs_and_a_territory_gone_is_set_aside(
    lambda_env, table, ses
):
    client = boto3.client("dynamodb", region_name=REGION)
    for number in range(100):  # a territory removed from the catalogue since
        gone = make_submission(
            id=f"20261120T1000{number:02d}Z-0000{number:04d}", territory="disparu"
        )
        client.put_item(TableName=table, Item={**to_item(gone), "pending": {"S": "1"}})
    legacy = make_submission(emails_sent=["notify"])
    client.put_item(TableName=table, Item={**to_item(legacy), "pending": {"S": "1"}})
    lambda_env.clock.advance(minutes=15)
    counts = handlers.sweeper({}, Context())
    assert counts["sent"] == 1 and kinds(ses) == ["acknowledgement"]
    assert lambda_env.store.legacy_pending() == []
    failed = [
        i
        for i in client.scan(TableName=table)["Items"]
        if i.get("email_status", {}).get("S") == "failed"
    ]
    assert len(failed) == 100


def test_spam_is_never_emailed(lambda_env, table, ses):
    event = load_event("welcomer_request_json.json")
    event["body"] = event["body"].replace('"website": ""', '"website": "http://spam.example"')
    assert handlers.welcomer_request(event)["statusCode"] == 202
    handlers.stream_mailer(stream_event(table), Context())
    lambda_env.clock.advance(hours=1)
    handlers.sweeper({}, Context())
    assert ses == []


# --- The SES mailer alone. ------------------------------------------------------------------


def test_ses_throttling_is_retried_by_botocore(moto_server, no_backoff):
    client = boto3.client("sesv2", endpoint_url=moto_server, region_name=REGION)
    client.create_email_identity(EmailIdentity=SENDER)
    attempts = throttle_first(client, "SendEmail", 2, "TooManyRequestsException", 429)
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, "mairie@example.org", "Essai"
    message.set_content("Bonjour")
    SESMailer(SENDER, sesv2_client=client).send(as_job(message))
    assert len(attempts) == 3  # two throttled, the third accepted by SES


def test_8bit_text_reaches_ses_as_7bit_mime(ses):
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = SENDER, "mairie@example.org", "Essai"
    message.set_content("Bonjour,\nune médecin généraliste arrive à Pithiviers.\n")
    assert message["Content-Transfer-Encoding"] == "8bit"
    SESMailer(SENDER).send(as_job(message))
    [sent] = ses
    assert sent.raw_data.isascii()  # SES asks for non-ASCII content to be encoded
    received = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert "médecin généraliste" in received.get_content()


def test_ses_refusal_is_a_mail_error_without_addresses(aws):
    mailer = SESMailer(SENDER)  # the identity is not verified: SES refuses the sender
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, "mairie@example.org", "Essai"
    message.set_content("Bonjour")
    with pytest.raises(MailError) as raised:
        mailer.send(as_job(message))
    assert "@" not in str(raised.value)


def as_job(message):
    return new_job("test/message", message, "test", NOW, NOW)
