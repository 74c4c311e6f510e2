"""The developer portal at /portal: a tenant's people sign in to manage keys and webhooks
and to look at their users' data, without writing code (issue 14)."""
