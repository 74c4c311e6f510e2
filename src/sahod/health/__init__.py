"""Liveness (`/healthz`) and readiness (`/readyz`): what a load balancer and an operator ask."""
