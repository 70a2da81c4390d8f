# The Docker image, really built and run (podman, offline-capable): see docs/OPERATIONS.md, "Docker".

.PHONY: container-check

## container-check: build the Dockerfile with podman and check the running image (uid, health, admin
## key, token + pong from a host client, revocation across restart, graceful stop, size).
container-check: setup-test
	bash scripts/container-check.sh
