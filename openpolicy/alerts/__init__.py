"""Alerts: follow a member, a bill, a division or a saved search, by e-mail or webhook.

* `targets`: what can be followed and how it is named; `searches`: saved searches (stored
  tsqueries and their anchors);
* `subscriptions`: sign-up with double opt-in, confirmation, unsubscribe, the manage page's
  operations, webhook registration; `tokens`: the signed links;
* `matching`: set-based matching of new and changed rows after each ingest, in PostgreSQL;
  `payloads`: the facts of matched items, read when they are sent;
* `delivery`, `render`, `webhooks`: sending, retrying, wording, signing; `queue`, `jobs`:
  the worker's tasks;
* `metrics`, `status`, `cli`: what operators see.

The tables are declared by migrations/versions/0010_alerts.py (the migrations are the
schema; docs/alerts.md explains the flow).
"""
