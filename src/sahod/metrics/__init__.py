"""`GET /metrics` in the Prometheus text format, on its own address (SAHOD_METRICS_HOST /
SAHOD_METRICS_PORT), off the public API.

Two kinds of figures, each counted where it is true:

- What happens inside a process (HTTP requests and their latency, jobs run and their
  time) is counted by prometheus_client in that process, in multiprocess mode: every
  process `sahod serve` starts (its N API processes and the job worker) writes to one
  directory, and the scrape adds them up. A process's counts live only as long as that
  directory (one `sahod serve` run), as Prometheus counters are expected to.
- What the database knows (jobs queued and running, webhook deliveries, sign-ins, CDS
  accounts due and late) is read from it at scrape time: the rows are the truth for every
  process and machine at once, survive restarts, and cannot be counted twice by two
  processes. Any number of servers scraped give the same figures for these.
"""
