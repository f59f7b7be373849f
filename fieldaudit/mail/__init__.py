"""E-mail (issue 15), no Flask: the outbox and its sender, follows of reports, sites and areas,
staff digests, and the mails themselves (Danish or English, plain text and HTML).

* ``outbox``: a mail is a row written in the transaction of the change that causes it, unique
  by its idempotency key; ``claim`` / ``mark_sent`` / ``mark_failed`` give each row to one
  sender at a time; ``stuck`` tells the readiness check whether mail is piling up.
* ``smtp`` and ``sender``: ``fieldaudit mail send`` (once or ``--loop``) over smtplib.
* ``links``: the public links and signed tokens a mail carries.
* ``compose``: the mails, rendered from ``mail/templates`` in the recipient's language.
* ``subscriptions``: who follows what (double opt-in for sites and areas; a reporter's
  address), unsubscribing, and the personal-data export, deletion and retention of addresses.
* ``notify``: the hook ``history.record`` calls; a public status change becomes mail.
* ``digests``: reviewers' daily and planners' weekly digests.
"""
