"""Each provider's health, from every tenant's task outcomes, and what each provider's data
points carry: what the developer portal's Data Sources page and
`GET /v1/providers/{id}/health` show."""
