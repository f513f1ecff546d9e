"""template.yaml: what the infrastructure promises, checked from the template itself."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from aws_testkit import ROOT, load_template, make_submission, matches_filter, stream_event
from forms.aws.dynamodb_store import DUE_INDEX, PENDING_INDEX, to_item
from forms.aws.origin import HEADER
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


@pytest.mark.parametrize(
    ("name", "region"), [("template.yaml", "eu-west-3"), ("waf.yaml", "us-east-1")]
)
def test_cfn_lint_finds_nothing(name, region):
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [cfn_lint, "--regions", region, "--", name],
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
        assert actions(template, function) == {
            "dynamodb:PutItem",
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
        }
        table = {"Fn::GetAtt": ["SubmissionsTable", "Arn"]}
        assert all(s["Resource"] == table for s in statements(template, function))
        # Updates only of the rate counters (forms.abuse), never of a submission or a job.
        [update] = [
            s for s in statements(template, function) if s["Action"] == "dynamodb:UpdateItem"
        ]
        assert update["Condition"] == {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["COUNT#*"]}
        }
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


def run_cloudfront_function(template: dict, name: str, requests: list[dict]) -> list[dict]:
    """A CloudFront Function of the template, run by Node on viewer requests.

    A redirect's Location is also resolved as a browser would (WHATWG URL, Node's `URL`)
    against https://site.example/, in `resolved_host`.
    """
    code = template["Resources"][name]["Properties"]["FunctionCode"]
    script = (
        f"{code}\n"
        f"var answers = {json.dumps(requests)}.map(function (request) {{\n"
        "  var answer = handler({request: request});\n"
        "  var location = answer.headers && answer.headers.location;\n"
        "  if (location) {\n"
        "    answer.resolved_host = new URL(location.value, 'https://site.example/').host;\n"
        "  }\n"
        "  return answer;\n"
        "});\n"
        "console.log(JSON.stringify(answers));"
    )
    result = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(result.stdout)


def run_directory_index(template: dict, uri: str, query: dict | None = None) -> dict:
    """The directory-index CloudFront Function on one viewer GET request."""
    request = {"method": "GET", "uri": uri, "querystring": query or {}, "headers": {}}
    return run_cloudfront_function(template, "DirectoryIndexFunction", [request])[0]


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


@pytest.mark.parametrize(
    "uri",
    [
        "//evil%2Ecom",
        "///evil%2Ecom",
        "/\\evil%2Ecom",
        "/\\/evil%2Ecom",
        "//evil%2Ecom/path",
        "//evil",
        "/\\",
        "//",
    ],
)
def test_the_folder_redirect_never_leaves_the_site(template, uri):
    answer = run_directory_index(template, uri, {"q": {"value": "1"}})
    if "statusCode" in answer:  # "//" ends with a slash: served, not redirected
        assert answer["statusCode"] == 301
        assert answer["resolved_host"] == "site.example", answer["headers"]["location"]
        assert not answer["headers"]["location"]["value"].startswith(("//", "/\\"))


def test_the_folder_redirect_keeps_a_deep_path_as_it_was(template):
    answer = run_directory_index(template, "/loiret//offres")
    assert answer["headers"]["location"]["value"] == "/loiret//offres/"


def api_requests(method: str, uris: list[str]) -> list[dict]:
    return [{"method": method, "uri": uri, "querystring": {}, "headers": {}} for uri in uris]


def test_only_post_and_options_reach_the_api_s_forms(template):
    forms = [f"/api/{form}" for form in FORMS]
    for method in ("POST", "OPTIONS"):
        answers = run_cloudfront_function(
            template, "ApiMethodsFunction", api_requests(method, forms)
        )
        assert all("statusCode" not in answer for answer in answers)  # forwarded unchanged
    for method in ("GET", "HEAD", "PUT", "PATCH", "DELETE"):
        answers = run_cloudfront_function(
            template, "ApiMethodsFunction", api_requests(method, forms)
        )
        for answer in answers:
            assert answer["statusCode"] == 405
            assert answer["headers"]["allow"]["value"] == "POST, OPTIONS"
            assert json.loads(answer["body"]["data"]) == {
                "errors": {"body": "Méthode non acceptée."}
            }


def test_every_get_route_of_the_api_is_let_through_by_the_edge(template):
    """The read-only pages (the no-JavaScript correction page) must stay reachable."""
    gets = [
        event["Properties"]["Path"].replace("{form}", FORMS[0])
        for function in functions(template).values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and event["Properties"]["Method"] == "GET"
    ]
    assert gets  # the correction page
    for method in ("GET", "HEAD"):
        answers = run_cloudfront_function(
            template, "ApiMethodsFunction", api_requests(method, gets)
        )
        assert all("statusCode" not in answer for answer in answers)


def test_the_api_has_explicit_routes_only(template):
    """No ANY method, no catch-all route: an unknown path or method is the API's own 404."""
    for function in functions(template).values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                assert event["Properties"]["Method"] in ("GET", "POST")
                assert "$default" not in event["Properties"]["Path"]
                assert "+}" not in event["Properties"]["Path"]  # no greedy {proxy+}
    api = template["Resources"]["FormsApi"]["Properties"]
    assert api["CorsConfiguration"]["AllowMethods"] == ["POST"]


def distribution(template: dict) -> dict:
    return template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]


def test_the_edge_goes_through_the_api_methods_function(template):
    [api] = distribution(template)["CacheBehaviors"]
    [association] = api["FunctionAssociations"]
    assert association == {
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": ["ApiMethodsFunction", "FunctionMetadata.FunctionARN"]},
    }


def test_cloudfront_error_pages_never_replace_the_api_s_json_errors(template):
    """Error pages apply to every path: only 403 (S3's missing key) is replaced, never sent by
    the API through CloudFront; its 404, 405, 413, 422, 429 and 5xx go through as they are."""
    replaced = {r["ErrorCode"] for r in distribution(template)["CustomErrorResponses"]}
    assert replaced == {403}
    sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "functions").rglob("*.py"))
    # No status 403 anywhere in the functions' code (as an argument, a value or a constant).
    assert not re.search(r"[(:=,]\s*403\b|FORBIDDEN", sources)


def test_the_api_answers_only_requests_that_came_through_cloudfront(template):
    api = template["Resources"]["FormsApi"]["Properties"]
    auth = api["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": ["OriginVerifyFunction", "Arn"]}
    assert authorizer["Identity"]["Headers"] == [HEADER]
    assert authorizer["EnableSimpleResponses"] is True
    [origin] = [o for o in distribution(template)["Origins"] if o["Id"] == "forms-api"]
    [header] = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == HEADER
    secret = "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"
    assert header["HeaderValue"] == {"Fn::Sub": secret}
    verifier = template["Resources"]["OriginVerifyFunction"]["Properties"]
    assert verifier["Environment"]["Variables"]["ORIGIN_VERIFY_SECRET_ARN"] == {
        "Ref": "OriginVerifySecret"
    }
    # The authorizer is the only function that may read that secret.
    readers = {
        name
        for name, function in functions(template).items()
        if {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "OriginVerifySecret"}}}
        in policies(template, function)
    }
    assert readers == {"OriginVerifyFunction"}


def test_the_default_endpoint_is_disabled_whenever_cloudfront_has_another_name(template):
    api = template["Resources"]["FormsApi"]["Properties"]
    assert api["DisableExecuteApiEndpoint"] == {"Fn::If": ["HasApiDomain", True, False]}
    [origin] = [o for o in distribution(template)["Origins"] if o["Id"] == "forms-api"]
    condition, custom, default = origin["DomainName"]["Fn::If"]
    assert (condition, custom) == ("HasApiDomain", {"Ref": "ApiDomainName"})
    assert "execute-api" in default["Fn::Sub"]
    mapping = template["Resources"]["ApiDomainMapping"]
    assert mapping["Condition"] == "HasApiDomain"
    assert mapping["Properties"]["ApiId"] == {"Ref": "FormsApi"}
    domain = template["Resources"]["ApiDomain"]["Properties"]
    assert domain["DomainNameConfigurations"][0]["EndpointType"] == "REGIONAL"


def test_access_logs_of_cloudfront_and_the_api_are_kept_for_a_limited_time(template):
    retention = {"Ref": "AccessLogRetentionDays"}
    logging = distribution(template)["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["AccessLogBucket", "DomainName"]}
    bucket = template["Resources"]["AccessLogBucket"]["Properties"]
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", retention)
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    # CloudFront's standard logs are written with an ACL: BucketOwnerEnforced would refuse them.
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    settings = template["Resources"]["FormsApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    fields = json.loads(settings["Format"])
    assert {"requestId", "status", "route"} <= set(fields)
    assert template["Resources"]["ApiAccessLogs"]["Properties"]["RetentionInDays"] == retention
    allowed = template["Parameters"]["AccessLogRetentionDays"]["AllowedValues"]
    assert max(allowed) <= 365


def test_the_cloudfront_web_acl_is_taken_as_a_parameter(template):
    assert distribution(template)["WebACLId"] == {
        "Fn::If": ["HasWebAcl", {"Ref": "CloudFrontWebAclArn"}, {"Ref": "AWS::NoValue"}]
    }


def test_outputs_give_operators_what_they_need(template):
    assert {
        "ApiUrl",
        "AccessLogBucketName",
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


def test_sam_puts_every_route_behind_the_origin_check_and_maps_the_api_domain(
    template, monkeypatch
):
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    document = json.loads(json.dumps(template))
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/functions.zip"
    parameters = {
        "AllowedOrigins": ["https://territoires.example.fr"],
        "SiteDomainNames": [""],
        "ApiDomainName": "api.territoires.example.fr",
        "ApiCertificateArn": "arn:aws:acm:eu-west-3:123456789012:certificate/abc",
    }
    resources = transform(document, parameters, ManagedPolicies())["Resources"]
    body = resources["FormsApi"]["Properties"]["Body"]
    [server] = body["servers"]
    assert server["x-amazon-apigateway-endpoint-configuration"] == {
        "disableExecuteApiEndpoint": {"Fn::If": ["HasApiDomain", True, False]}
    }
    scheme = body["components"]["securitySchemes"]["CloudFrontOnly"]
    assert scheme["x-amazon-apigateway-authorizer"]["identitySource"] == [
        f"$request.header.{HEADER}"
    ]
    operations = [op for path in body["paths"].values() for op in path.values()]
    assert operations and all(op["security"] == [{"CloudFrontOnly": []}] for op in operations)
    stage = resources["ApiDomainMapping"]["Properties"]["Stage"]["Ref"]
    assert resources[stage]["Type"] == "AWS::ApiGatewayV2::Stage"
    assert "AccessLogSettings" in resources[stage]["Properties"]


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


def test_the_edge_web_acl_limits_each_client_ip_and_the_api_most():
    waf = load_template(ROOT / "waf.yaml")
    acl = waf["Resources"]["EdgeWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    [assertion] = waf["Rules"]["CloudFrontAclsLiveInUsEast1"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    api, every = rules["api-requests-per-ip"], rules["requests-per-ip"]
    for rule in (api, every):
        rate = rule["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP"
        assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    scope = api["Statement"]["RateBasedStatement"]["ScopeDownStatement"]["ByteMatchStatement"]
    assert (scope["PositionalConstraint"], scope["SearchString"]) == ("STARTS_WITH", "/api/")
    defaults = {name: p["Default"] for name, p in waf["Parameters"].items()}
    assert defaults["ApiRequestsPerIp"] < defaults["SiteRequestsPerIp"]
    body = acl["CustomResponseBodies"]["api-too-many-requests"]
    assert set(json.loads(body["Content"])) == {"errors"}  # the API's own error shape
    assert waf["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}
