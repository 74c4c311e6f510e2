"""Abuse limits: request rates, failed authentication, and the Link API's costly actions.

Counters live in PostgreSQL (an UNLOGGED table: losing them in a crash costs nothing), so a
limit holds across every API process of a deployment. Imports only kit, db, errors, config.
"""
