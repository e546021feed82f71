"""Moving data in and out of Guestlist: importers for Wizarr's and Komandorr's databases and
for Guestlist's own export file, the export itself, and the members' CSV.

The entry points (``guestlist import``/``export``, Settings → Import, ``/api/users/export.csv``)
only call ``importer.run_import``, ``export.write_export`` and ``members_csv.members_csv``.
"""
