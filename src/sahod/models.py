"""Every table, imported once so that Alembic and the tests see the whole schema."""

from sahod.accounts.models import Account, AccountCredentials
from sahod.archives.models import Archive
from sahod.datapoints.models import DataPoint
from sahod.events.models import Event
from sahod.files.models import FileBlob, StoredFile
from sahod.limits.models import RateCounter
from sahod.tasks.models import Task
from sahod.tenants.models import ApiKey, Tenant
from sahod.users.models import AccessToken, User
from sahod.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "AccessToken",
    "Account",
    "AccountCredentials",
    "ApiKey",
    "Archive",
    "DataPoint",
    "Event",
    "FileBlob",
    "RateCounter",
    "StoredFile",
    "Task",
    "Tenant",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
