# test-browser: the dashboard in headless Chromium (Selenium) against a real ztp-server with
# real ztp-client processes (Tests/browser, issue 14). scripts/browser-tests.sh installs
# chromium, chromium-driver and a venv with selenium and pytest when missing; screenshots of
# each view land in .build/screenshots/. BROWSER_ARGS goes to pytest, e.g. BROWSER_ARGS="-k audit".

BROWSER_ARGS ?=

.PHONY: test-browser

test-browser: setup-test
	$(SWIFT) build --product ztp-server
	$(SWIFT) build --product ztp-client
	bash scripts/browser-tests.sh $(BROWSER_ARGS)
