# mk/hosts.mk - several Docker hosts (issue 11): clients per host, the
# one-daemon-per-fleet lease, their unit tests, the two-dockerd scenarios and
# the fleet-scale simulation.
libace_a_SOURCES += src/hosts.c src/hosts.h
