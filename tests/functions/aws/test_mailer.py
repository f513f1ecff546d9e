"""E-mail delivery on AWS: stream records → SES (moto), duplicates, faults, the sweeper."""

from __future__ import annotations

import email
import email.policy
import json
from types import SimpleNamespace

import boto3
import pytest
from aws_testkit import REGION, SENDER, make_submission, stream_event, throttle_first
from botocore.stub import Stubber
from forms.aws import handlers
from forms.aws.ses_mailer import SESMailer
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


def submit() -> str:
    """A welcomer request through the public handler; its id."""
    response = handlers.welcomer_request(load_event("welcomer_request_json.json"))
    return json.loads(response["body"])["id"]


def kinds(sent) -> list[str]:
    """Which messages moto's SES recorded (notify, acknowledgement), in order."""
    return [email.message_from_string(m.raw_data)["X-Forms-Message"] for m in sent]


def test_a_new_submission_is_emailed_to_the_territory_and_acknowledged(lambda_env, table, ses):
    submission_id = submit()
    answer = handlers.stream_mailer(stream_event(table), Context())
    assert answer == {"batchItemFailures": []}
    assert kinds(ses) == ["notify", "acknowledgement"]
    notify = email.message_from_string(ses[0].raw_data)
    territory = lambda_env.catalogue.get("loiret")
    assert sorted(a.strip() for a in notify["To"].split(",")) == sorted(territory.notify)
    assert "claire.martin@example.org" in notify["Reply-To"]
    assert ses[0].source == SENDER
    assert lambda_env.store.get(submission_id).email_status == "sent"


def test_the_mailer_needs_no_token_key(lambda_env, table, ses, monkeypatch):
    # The mailer's role may not read the token secret: it must never ask for it.
    monkeypatch.delenv("FORM_TOKEN_KEY")
    monkeypatch.delenv("FORM_TOKEN_SECRET_ARN", raising=False)
    lambda_env.store.add(make_submission())
    assert handlers.stream_mailer(stream_event(table), Context()) == {"batchItemFailures": []}
    assert kinds(ses) == ["notify", "acknowledgement"]


def test_the_same_stream_record_delivered_twice_sends_one_email_of_each_kind(
    lambda_env, table, ses
):
    submit()
    event = stream_event(table)
    handlers.stream_mailer(event, Context("req-1"))
    handlers.stream_mailer(event, Context("req-2"))
    assert kinds(ses) == ["notify", "acknowledgement"]


def test_a_record_whose_submission_another_worker_holds_is_skipped(lambda_env, table, ses):
    submission_id = submit()
    lambda_env.store.claim(submission_id, "other-worker", NOW, handlers.LEASE)
    answer = handlers.stream_mailer(stream_event(table), Context())
    assert (answer, ses) == ({"batchItemFailures": []}, [])


def test_idempotency_items_and_sent_submissions_are_ignored(lambda_env, table, ses):
    submit()
    event = stream_event(table)
    handlers.stream_mailer(event, Context())
    ses.clear()
    later = stream_event(table)  # now also holds the MODIFY records of the delivery itself
    assert handlers.stream_mailer(later, Context("req-2")) == {"batchItemFailures": []}
    assert ses == []


def test_ses_throttling_keeps_the_submission_pending_and_reports_the_record(lambda_env, table, ses):
    submission_id = submit()
    event = stream_event(table)
    with Stubber(handlers.mailer().client) as stub:
        stub.add_client_error("send_email", "TooManyRequestsException", http_status_code=429)
        answer = handlers.stream_mailer(event, Context())
    [record] = [r for r in event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"].startswith("SUB#")]
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]
    }
    stored = lambda_env.store.get(submission_id)
    assert (stored.email_status, stored.emails_sent) == ("pending", [])
    assert stored.last_email_error == "SES: TooManyRequestsException"
    # The stream retries the record: now SES takes it.
    assert handlers.stream_mailer(event, Context("req-2")) == {"batchItemFailures": []}
    assert kinds(ses) == ["notify", "acknowledgement"]


def test_an_outage_after_the_first_message_resends_only_the_second(lambda_env, table, ses):
    submission_id = submit()
    event = stream_event(table)
    with Stubber(handlers.mailer().client) as stub:
        stub.add_response("send_email", {"MessageId": "sent-before-the-outage"})
        stub.add_client_error("send_email", "ServiceUnavailable", http_status_code=503)
        handlers.stream_mailer(event, Context())
    assert lambda_env.store.get(submission_id).emails_sent == ["notify"]
    handlers.stream_mailer(event, Context("req-2"))
    assert kinds(ses) == ["acknowledgement"]
    assert lambda_env.store.get(submission_id).email_status == "sent"


def test_a_store_outage_during_delivery_reports_the_record_for_retry(lambda_env, table, ses):
    submit()
    event = stream_event(table)
    with Stubber(lambda_env.store.client) as stub:
        stub.add_client_error(
            "update_item", "ProvisionedThroughputExceededException", http_status_code=400
        )
        answer = handlers.stream_mailer(event, Context())
    assert len(answer["batchItemFailures"]) == 1
    assert ses == []


def test_the_sweeper_resends_what_the_stream_could_not(lambda_env, table, ses):
    submission_id = submit()
    with Stubber(handlers.mailer().client) as stub:
        stub.add_client_error("send_email", "TooManyRequestsException", http_status_code=429)
        handlers.stream_mailer(stream_event(table), Context())
    lambda_env.clock.advance(minutes=15)
    counts = handlers.sweeper({}, Context("sweep-1"))
    assert (counts["retried"], counts["sent"]) == (1, 1)
    assert kinds(ses) == ["notify", "acknowledgement"]
    assert lambda_env.store.pending() == []
    assert (
        lambda_env.store.get(submission_id).email_attempts == 3
    )  # failed, notify, acknowledgement


def test_the_sweeper_leaves_young_submissions_to_the_stream(lambda_env, ses):
    submit()
    lambda_env.clock.advance(minutes=1)
    assert handlers.sweeper({}, Context())["retried"] == 0
    assert ses == []


def test_the_sweeper_stops_before_its_time_runs_out(lambda_env, ses):
    submit()
    lambda_env.clock.advance(minutes=15)
    assert handlers.sweeper({}, Context(remaining_ms=1_000))["retried"] == 0


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
    SESMailer(SENDER, sesv2_client=client).send(message)
    assert len(attempts) == 3  # two throttled, the third accepted by SES


def test_8bit_text_reaches_ses_as_7bit_mime(ses):
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = SENDER, "mairie@example.org", "Essai"
    message.set_content("Bonjour,\nune médecin généraliste arrive à Pithiviers.\n")
    assert message["Content-Transfer-Encoding"] == "8bit"
    SESMailer(SENDER).send(message)
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
        mailer.send(message)
    assert "@" not in str(raised.value)
