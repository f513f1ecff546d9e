"""template.yaml: what the infrastructure promises, checked from the template itself."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from aws_testkit import ROOT, make_submission, matches_filter, stream_event
from forms.aws.dynamodb_store import DUE_INDEX, PENDING_INDEX, to_item
from forms.delivery import FAILED_MARK, new_job
from forms.ports import FORMS

# AWS managed CloudFront policies (their ids are fixed by AWS).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def resources(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def functions(template: dict) -> dict:
    return resources(template, "AWS::Serverless::Function")


def policies(template: dict, function: dict) -> list:
    """A function's policies: its SAM `Policies`, or those of the role written for it."""
    role = function["Properties"].get("Role")
    if role is None:
        return function["Properties"].get("Policies", [])
    properties = template["Resources"][role["Fn::GetAtt"][0]]["Properties"]
    inline = [p["PolicyDocument"] for p in properties.get("Policies", [])]
    return properties.get("ManagedPolicyArns", []) + inline


def statements(template: dict, function: dict) -> list[dict]:
    """The inline policy statements of a function."""
    found = []
    for policy in policies(template, function):
        if isinstance(policy, dict):
            found += policy.get("Statement", [])
    return found


def actions(template: dict, function: dict) -> set[str]:
    found = set()
    for statement in statements(template, function):
        value = statement["Action"]
        found |= {value} if isinstance(value, str) else set(value)
    return found


def mailer_function(template: dict) -> dict:
    return template["Resources"]["MailerFunction"]


def test_cfn_lint_finds_nothing():
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [cfn_lint, "--regions", "eu-west-3", "--", "template.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_every_function_handler_exists_in_the_package(template):
    code_uri = ROOT / template["Globals"]["Function"]["CodeUri"]
    assert code_uri == ROOT / "functions/"
    for function in functions(template).values():
        module, _, name = function["Properties"]["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_the_api_routes_are_the_contract_s(template):
    routes = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for function in functions(template).values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    posts = {("POST", f"/api/{form}") for form in FORMS}
    assert routes == posts | {("GET", "/api/{form}/correction")}


def test_the_api_is_throttled_and_cors_allows_the_idempotency_key(template):
    api = template["Resources"]["FormsApi"]["Properties"]
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert api["DefaultRouteSettings"]["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    assert api["CorsConfiguration"]["AllowOrigins"] == {"Ref": "AllowedOrigins"}
    assert "idempotency-key" in api["CorsConfiguration"]["AllowHeaders"]


def test_lambda_runs_python_on_arm64(template):
    function = template["Globals"]["Function"]
    assert function["Runtime"] in ("python3.11", "python3.12")
    assert function["Architectures"] == ["arm64"]


def test_the_table_is_what_the_store_expects(template):
    table = template["Resources"]["SubmissionsTable"]["Properties"]
    item = to_item(make_submission())
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_epoch", "Enabled": True}
    assert "expires_epoch" in item
    indexes = {index["IndexName"] for index in table["GlobalSecondaryIndexes"]}
    assert {PENDING_INDEX, DUE_INDEX} <= indexes
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_the_mailer_retries_a_failed_batch_then_dead_letters_it(template):
    mailer = template["Resources"]["MailerFunction"]["Properties"]
    [stream] = mailer["Events"].values()
    props = stream["Properties"]
    assert stream["Type"] == "DynamoDB"
    assert props["Stream"] == {"Fn::GetAtt": ["SubmissionsTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 10
    dead_letter_queue = {"Fn::GetAtt": ["MailerDeadLetterQueue", "Arn"]}
    assert props["DestinationConfig"]["OnFailure"] == {"Destination": dead_letter_queue}
    sends = [
        s
        for s in statements(template, mailer_function(template))
        if s["Action"] == "sqs:SendMessage"
    ]
    assert [s["Resource"] for s in sends] == [dead_letter_queue]


def test_the_dead_letter_queue_is_encrypted_and_kept_long_enough(template):
    queue = template["Resources"]["MailerDeadLetterQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] >= 7 * 24 * 3600


def test_the_sweeper_runs_every_5_minutes(template):
    # The retries' backoff starts at a minute: a sweeper every 5 minutes keeps them close.
    [schedule] = template["Resources"]["SweeperFunction"]["Properties"]["Events"].values()
    assert schedule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"


def test_a_failed_email_raises_the_alarm(template):
    resources = template["Resources"]
    filters = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::Logs::MetricFilter"
    ]
    assert {f["LogGroupName"]["Ref"] for f in filters} == {"MailerLogs", "SweeperLogs"}
    assert {f["FilterPattern"] for f in filters} == {FAILED_MARK}
    [metric] = {
        (t["MetricNamespace"], t["MetricName"]) for f in filters for t in f["MetricTransformations"]
    }
    alarm = resources["FailedEmailsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == metric
    assert (
        alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    )


def test_the_stream_filter_admits_only_the_insert_of_an_email_job(template, store, table):
    submission = make_submission(idempotency_key="k-1")
    jobs = [
        new_job(
            f"{submission.id}/notify",
            message(),
            submission.id,
            submission.received_at,
            submission.expires_at,
        )
    ]
    store.add(submission, jobs)
    now = submission.received_at
    store.claim_job(jobs[0].key, "worker", now, dt.timedelta(minutes=2))
    store.job_sent(jobs[0].key, "worker", now)
    records = stream_event(table)["Records"]
    [stream] = template["Resources"]["MailerFunction"]["Properties"]["Events"].values()
    [pattern] = [
        json.loads(f["Pattern"]) for f in stream["Properties"]["FilterCriteria"]["Filters"]
    ]
    admitted = [r for r in records if matches_filter(pattern, r)]
    assert len(records) == 5  # submission, idempotency key, job, lease, outcome
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in admitted] == [
        ("INSERT", "JOB#" + jobs[0].key)
    ]


def message():
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", "x"
    mail.set_content("x")
    return mail


def test_ses_sending_is_limited_to_the_sender_identity(template):
    text = json.dumps(template)
    assert "SESCrudPolicy" not in text
    policy = template["Resources"]["SendFromSenderIdentityPolicy"]["Properties"]["PolicyDocument"]
    [statement] = policy["Statement"]
    assert set(statement["Action"]) == {"ses:SendEmail", "ses:SendRawEmail"}
    assert statement["Resource"]["Fn::Sub"].endswith(":identity/${SenderIdentity}")
    assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "MailFrom"}
    senders = {
        name
        for name, function in functions(template).items()
        if {"Ref": "SendFromSenderIdentityPolicy"} in policies(template, function)
    }
    assert senders == {"MailerFunction", "SweeperFunction"}


def test_public_functions_may_only_add_and_read_submissions(template):
    public = ("WelcomerRequestFunction", "PackOrderFunction")
    for name in public:
        function = template["Resources"][name]
        assert actions(template, function) == {"dynamodb:PutItem", "dynamodb:GetItem"}
        table = {"Fn::GetAtt": ["SubmissionsTable", "Arn"]}
        assert all(s["Resource"] == table for s in statements(template, function))
    assert actions(template, template["Resources"]["CorrectionFunction"]) == set()


def test_wildcards_only_where_iam_has_no_resource_level_permission(template):
    unscoped = {"dynamodb:ListStreams", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    for function in functions(template).values():
        for statement in statements(template, function):
            if statement["Resource"] == "*":
                action = statement["Action"]
                assert ({action} if isinstance(action, str) else set(action)) <= unscoped


def test_the_mailer_reads_only_its_own_table_s_stream(template):
    reads = [
        s
        for s in statements(template, mailer_function(template))
        if "dynamodb:GetRecords" in s["Action"]
    ]
    assert [s["Resource"] for s in reads] == [{"Fn::GetAtt": ["SubmissionsTable", "StreamArn"]}]


def test_the_site_bucket_is_private_encrypted_and_versioned(template):
    bucket = template["Resources"]["SiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [read] = [
        s
        for s in template["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
        if s["Effect"] == "Allow"
    ]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in read["Condition"]["StringEquals"]


def test_cloudfront_serves_the_site_from_s3_and_the_api_uncached(template):
    config = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    default = config["DefaultCacheBehavior"]
    assert "OriginAccessControlId" in origins[default["TargetOriginId"]]
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert default["FunctionAssociations"][0]["EventType"] == "viewer-request"
    [api] = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert "CustomOriginConfig" in origins[api["TargetOriginId"]]
    assert (api["CachePolicyId"], api["OriginRequestPolicyId"]) == (
        CACHING_DISABLED,
        ALL_VIEWER_EXCEPT_HOST,
    )
    assert "POST" in api["AllowedMethods"]
    assert api["ViewerProtocolPolicy"] == "https-only"  # a redirected POST would lose its body


def test_security_headers_forbid_inline_code_and_framing(template):
    policy = template["Resources"]["SecurityHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    headers = policy["SecurityHeadersConfig"]
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"].split(";")
        if " " in directive.strip()
    )
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def run_directory_index(template: dict, uri: str, query: dict | None = None) -> dict:
    """The CloudFront Function of the template, run by Node on one viewer request."""
    code = template["Resources"]["DirectoryIndexFunction"]["Properties"]["FunctionCode"]
    request = {"uri": uri, "querystring": query or {}, "headers": {}}
    script = f"{code}\nconsole.log(JSON.stringify(handler({{request: {json.dumps(request)}}})));"
    result = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/", "/index.html"),
        ("/loiret/", "/loiret/index.html"),
        ("/loiret/offres/remplacement-mg/", "/loiret/offres/remplacement-mg/index.html"),
        ("/theme/css/site.css", "/theme/css/site.css"),
    ],
)
def test_pretty_urls_are_served_from_their_index_file(template, uri, expected):
    assert run_directory_index(template, uri)["uri"] == expected


def test_a_folder_without_its_slash_is_redirected_with_its_query(template):
    answer = run_directory_index(template, "/loiret/welcomers", {"placement": {"value": "mg-1"}})
    assert answer["statusCode"] == 301
    assert answer["headers"]["location"]["value"] == "/loiret/welcomers/?placement=mg-1"


def test_outputs_give_operators_what_they_need(template):
    assert {
        "ApiUrl",
        "DistributionDomain",
        "SiteBucketName",
        "SubmissionsTableName",
        "DeadLetterQueueUrl",
    } <= set(template["Outputs"])


def test_sam_translates_the_template(template, monkeypatch):
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    document = json.loads(json.dumps(template))
    # SAM wants the code uploaded; `sam build`/`sam deploy` do that and put an S3 URI here.
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/functions.zip"
    parameters = {"AllowedOrigins": ["https://territoires.example.fr"], "SiteDomainNames": [""]}
    output = transform(document, parameters, ManagedPolicies())
    kinds = {resource["Type"] for resource in output["Resources"].values()}
    assert "AWS::Serverless::Function" not in kinds
    assert {
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Scheduler::Schedule",
    } <= kinds


class ManagedPolicies:
    """SAM's lookup of AWS managed policies by name, answered offline."""

    def load(self) -> dict:
        names = (
            "AWSLambdaBasicExecutionRole",
            "AWSXrayWriteOnlyAccess",
            "AWSLambdaDynamoDBExecutionRole",
        )
        return {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in names}


def test_a_dead_lettered_batch_alerts_the_operator(template):
    alarm = template["Resources"]["DeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["MailerDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["AlarmActions"]["Fn::If"][:2] == ["HasOperatorEmail", [{"Ref": "OperatorAlerts"}]]


def test_the_dead_letter_queue_properties_are_accepted_by_sqs(aws, template):
    properties = template["Resources"]["MailerDeadLetterQueue"]["Properties"]
    attributes = {name: str(value).lower() for name, value in properties.items()}
    sqs = boto3.client("sqs", region_name="eu-west-3")
    url = sqs.create_queue(QueueName="mailer-dlq", Attributes=attributes)["QueueUrl"]
    created = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert created["SqsManagedSseEnabled"] == "true"
    assert created["MessageRetentionPeriod"] == str(properties["MessageRetentionPeriod"])
