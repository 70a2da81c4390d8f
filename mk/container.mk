# The Docker image, really built and run (podman, offline-capable): see docs/OPERATIONS.md, "Docker".

.PHONY: container-check

## container-check: build the Dockerfile with podman and check the running image (uid, health, admin
## key, token + pong from a host client, revocation across restart, graceful stop, size).
container-check: setup-test
	bash scripts/container-check.sh

.PHONY: compose-check

## compose-check: run compose.yaml (PostgreSQL, two nodes, Prometheus) with podman-compose and check
## the fleet it makes (one identity, token on one node works on the other, revocation across
## nodes, Prometheus scraping both, a node stopped leaves the fleet).
compose-check: setup-test
	bash scripts/compose-check.sh
