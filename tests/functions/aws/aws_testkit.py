"""Helpers shared by the AWS adapter tests: the template as data, a sample submission."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import yaml
from botocore.config import Config
from forms.ports import Submission

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-3"
SENDER = "formulaires@territoires.example.fr"


class CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation's short tags (!Ref, !GetAtt…) as plain dicts."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):  # !GetAtt A.B is ["A", "B"] in JSON
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict:
    """template.yaml (or another template) as a dict; tags become {"Ref": ...} / {"Fn::…": ...}."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)


def create_table_from_template(template: dict, name: str, client=None) -> str:
    """Create the submissions table in moto with exactly the template's properties."""
    props = template["Resources"]["SubmissionsTable"]["Properties"]
    client = client or boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=name,
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode=props["BillingMode"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, **props["StreamSpecification"]},
        SSESpecification={"Enabled": props["SSESpecification"]["SSEEnabled"]},
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
    )
    return name


def make_submission(**changes) -> Submission:
    """A welcomer request as the core would store it."""
    received = dt.datetime(2026, 11, 24, 17, 30, 5, tzinfo=dt.UTC)
    values = {
        "id": "20261124T173005Z-3f9a2c1d",
        "form": "welcomer-request",
        "territory": "loiret",
        "received_at": received,
        "expires_at": received.replace(year=2029),
        "fields": {
            "first_name": "Léa",
            "last_name": "Martin",
            "email": "lea.martin@example.org",
            "profession": "médecin généraliste",
            "consent": True,
            "interests": ["écoles", "sport"],
            "children_ages": "4, 9",
            "message": "",
        },
    }
    values.update(changes)
    return Submission(**values)


class _RawBody:
    """The raw body botocore streams a response from."""

    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


def throttle_first(client, operation: str, times: int, error: str, status: int = 400) -> list:
    """Make the next `times` attempts of `operation` fail with `error` before they leave the client.

    A `before-send` hook, not a Stubber: the answer goes through botocore's retry logic as a real
    throttling response would. Returns the list of attempts seen (throttled or not).
    """
    from botocore.awsrequest import AWSResponse

    attempts = []
    protocol = client.meta.service_model.protocol

    def hook(request, **_):
        attempts.append(request.url)
        if len(attempts) > times:
            return None
        if protocol == "json":  # DynamoDB: the error type is in the body
            body = f'{{"__type":"{error}","message":"injected"}}'.encode()
            headers = {"x-amzn-errortype": error}
        else:  # rest-json (SES v2)
            body = b'{"message":"injected"}'
            headers = {"x-amzn-errortype": error, "content-type": "application/json"}
        return AWSResponse(request.url, status, headers, _RawBody(body))

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service}.{operation}", hook)
    return attempts


def stream_event(table: str) -> dict:
    """The table's stream records so far (read from moto), as Lambda hands them to the mailer."""
    client = boto3.client("dynamodb", region_name=REGION)
    # botocore ≥ 1.40 would call <account>.streams-ddb…, an endpoint moto 5.2 does not serve.
    config = Config(account_id_endpoint_mode="disabled")
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=config)
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            record["dynamodb"].pop("ApproximateCreationDateTime", None)  # a datetime once parsed
            records.append({**record, "eventSourceARN": arn})
    return {"Records": records}


def matches_filter(pattern, value) -> bool:
    """Lambda's event filtering for the pattern subset the template uses (nested exact values)."""
    if isinstance(pattern, list):
        return value in pattern
    if not isinstance(value, dict):
        return False
    return all(key in value and matches_filter(sub, value[key]) for key, sub in pattern.items())
