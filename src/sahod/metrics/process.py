"""The figures each process counts itself (see the package's docstring).

prometheus_client picks its storage when it is imported: `prepare_process_metrics` must
run (it sets PROMETHEUS_MULTIPROC_DIR) before anything imports this module in a process
whose counts should add up with its siblings'.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "sahod_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "sahod_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response started), by method, route "
    "template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOBS_RUN = Counter(
    "sahod_jobs",
    "Jobs a worker ran, by task and outcome (succeeded, failed, aborted).",
    ["task", "outcome"],
)
JOB_DURATION = Histogram(
    "sahod_job_duration_seconds",
    "Time a job ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0),
)
