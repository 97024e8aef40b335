"""The dispatch KPIs of DOMAIN §10.3 as Prometheus metrics; labels are kinds and states, never people."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TIME_TO_ACCEPT = Histogram(
    "doudi_dispatch_time_to_accept_seconds",
    "From an incident's report to its lead volunteer's acceptance (time to contact).",
    ["kind"],
    buckets=(30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400),
)
TIME_TO_ARRIVE = Histogram(
    "doudi_dispatch_time_to_arrive_seconds",
    "From an incident's report to the first responder on scene (EX target 2 h).",
    ["kind"],
    buckets=(300, 600, 900, 1800, 2700, 3600, 5400, 7200, 14400, 43200, 86400),
)
OPEN_INCIDENTS = Gauge(
    "doudi_dispatch_open_incidents",
    "Incidents not yet handed over to the township, by state (refreshed by the dispatch loop).",
    ["state"],
)
ESCALATIONS = Counter(
    "doudi_dispatch_escalations_total",
    "Incidents escalated because nobody accepted in time or nobody could be offered them, by target.",
    ["target"],
)
INCIDENTS = Counter(
    "doudi_dispatch_incidents_total",
    "Incidents reported (hotline, care, monitoring, other systems, disaster check-on tasks), by kind.",
    ["kind"],
)
