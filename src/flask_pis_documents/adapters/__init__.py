"""Adapters to the outside world, each behind a small protocol.

- :mod:`.storage`: the three media content storages (S3 by default).
- :mod:`.relationship_service`: "Check confidant person relationship".
- :mod:`.person_store`: the MPI person records.
- :mod:`.global_parameters`: the PRM global parameters.
- :mod:`.models`: the SQLAlchemy tables the database-backed adapters read.
"""
