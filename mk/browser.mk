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

# vendor: refresh the dashboard's third-party files in Public/vendor/ from Debian's packages
# (committed, so the page needs no build step and works offline). Chart.js: libjs-chart.js.
.PHONY: vendor
vendor:
	@dpkg -s libjs-chart.js >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends libjs-chart.js; }
	mkdir -p Public/vendor
	cp /usr/share/javascript/chart.js/chart.min.js Public/vendor/chart.min.js
	cp /usr/share/doc/libjs-chart.js/copyright Public/vendor/chart.js-LICENSE.txt
	@dpkg-query -W -f='Public/vendor/: libjs-chart.js $${Version}\n' libjs-chart.js
