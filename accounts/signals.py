"""Signals of accounts for other apps."""

from django.dispatch import Signal

#: Sent inside the transaction that closes an account (accounts.closure), with `user`: each app
#: removes what only the account had (devices end and their tokens go; passkeys go).
account_closed = Signal()
