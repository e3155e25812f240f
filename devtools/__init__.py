"""Development tooling: the embedded database, the migration runner, scratch and lint databases.

Runs from a checkout only (it reads ``supabase/`` and ``sql/``); nothing in the runtime package
:mod:`workers` imports it.
"""
