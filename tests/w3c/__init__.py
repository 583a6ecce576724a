"""Harness for the W3C SPARQL 1.1 test suite, run over HTTP against a server and in-process.

`manifest` reads the tests, `dataset` builds the one store holding all their data, `runners` sends each
test (over HTTP or to pyoxigraph directly), `results` + `compare` judge the answers, `servers` starts
the servers, `report` prints the counts. `python -m w3c` (from tests/) runs it all and prints a report.
"""
