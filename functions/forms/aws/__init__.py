"""The AWS adapters of the forms: DynamoDB store, SES mailer, Lambda entry points.

Only this package imports boto3; the core (`forms.*`) knows nothing of AWS.
"""

from .dynamodb_store import DynamoDBStore
from .ses_mailer import SESMailer

__all__ = ["DynamoDBStore", "SESMailer"]
