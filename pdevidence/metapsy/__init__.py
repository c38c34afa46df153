"""Metapsy-standard trial databases, one module per concern.

sources   known databases, upstream addresses, credit and licence
fetch     fetching a URL
cache     the download cache and its provenance
read      the raw table and codebook of a Metapsy CSV
database  a database read and normalised (Database, read_database)
families  therapy families of treatment codes and names
rob       risk of bias
effects   direction of stored effects; effects from arm data
analysis  trial effects, pooling per family, size lens, across databases
settings  the page's choices and their URL round trip
cli       `python -m pdevidence.metapsy SOURCE [--json]`
"""
