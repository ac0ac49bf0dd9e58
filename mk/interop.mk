# SPDX-License-Identifier: Apache-2.0
# make test-interop: mod_sessiondemo against a real Express app
# (express 5, express-session 1.19, connect-memcached 3.0) sharing one
# memcached and one cookie. Needs node >= 20 and npm (packages are installed
# from tests/interop/package-lock.json into tests/interop/node_modules). See
# docs/interop.md.
.PHONY: test-interop
test-interop: deps node-deps all
	@$(TAP_COUNT) test-interop tests/interop/run.sh
