"""Output writers: the results folder, its tables and the notification dossiers on disk.

This layer sits above :mod:`hazid.notify` and :mod:`hazid.maps`: it turns the decisions, the
dossier content and the drawn maps into files.
"""
