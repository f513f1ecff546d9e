"""The editor's sign-in store (forms.editor.store.SignInStore) over its own DynamoDB table
(template.yaml, `EditorTable`): the forms' submissions stay out of the editor's reach.

    LINK#<sha256 of the token>   a sign-in link: address, scope, expiry, used
    HIT#<counter>#<window>       a rate counter (keyed hash of an address or a client)

Both expire through the table's TTL (`expires_epoch`): links a day after they lapse, counters
with their window. Using a link is one conditional update: it works once, however many
requests race for it.
"""

from __future__ import annotations

import datetime as dt
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..editor.store import Link

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5
)
KEEP_SPENT_LINKS = dt.timedelta(days=1)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _epoch(moment: dt.datetime) -> str:
    return str(int(moment.timestamp()))


class DynamoDBSignInStore:
    def __init__(self, table: str | None = None, client=None):
        self.table = table or os.environ["EDITOR_TABLE"]
        self.client = client or boto3.client("dynamodb", config=CLIENT_CONFIG)

    def hit(self, key: str, window_start: dt.datetime, expires_at: dt.datetime) -> int:
        reply = self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": f"HIT#{key}#{_iso(window_start)}"}},
            UpdateExpression="ADD hits :one SET expires_epoch = :expires",
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": _epoch(expires_at)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(reply["Attributes"]["hits"]["N"])

    def add_link(self, link: Link) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"LINK#{link.digest}"},
                "email": {"S": link.email},
                "scope": {"S": link.scope},
                "expires_at": {"S": _iso(link.expires_at)},
                "used": {"BOOL": False},
                "expires_epoch": {"N": _epoch(link.expires_at + KEEP_SPENT_LINKS)},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def use_link(self, digest: str, now: dt.datetime) -> tuple[Link | None, str]:
        key = {"pk": {"S": f"LINK#{digest}"}}
        try:
            reply = self.client.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression="SET used = :yes",
                ConditionExpression="used = :no AND expires_at > :now",
                ExpressionAttributeValues={
                    ":yes": {"BOOL": True},
                    ":no": {"BOOL": False},
                    ":now": {"S": _iso(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return self._why_not(key, digest)
        return _link(digest, reply["Attributes"]), "ok"

    def _why_not(self, key: dict, digest: str) -> tuple[Link | None, str]:
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return None, "unknown"
        link = _link(digest, item)
        return link, "used" if link.used else "expired"


def _link(digest: str, item: dict) -> Link:
    return Link(
        digest,
        item["email"]["S"],
        item["scope"]["S"],
        dt.datetime.fromisoformat(item["expires_at"]["S"]),
        item["used"]["BOOL"],
    )
