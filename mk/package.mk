# SPDX-License-Identifier: Apache-2.0
# Installing, and the Debian package (docs/packaging.md):
#   make install [DESTDIR=dir]  the module, templates, a2enmod and a2enconf files and docs in
#                               Debian's layout;
#                               the module is built with the installed template directory as its
#                               default (the next `make` builds it back for the tree)
#   make deb                    dist/libapache2-mod-sessiondemo_<version>_<arch>.deb, built by
#                               dpkg-buildpackage -us -uc -b in a copy of the tree (build/deb/),
#                               checked by lintian; rebuilt only when a file of the tree changed
PKG_NAME            := libapache2-mod-sessiondemo
INSTALL_TEMPLATEDIR := /usr/share/$(PKG_NAME)/templates
INSTALL_MODDIR      := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
INSTALL_CONFDIR     := /etc/apache2/mods-available
INSTALL_APPCONFDIR  := /etc/apache2/conf-available
INSTALL_DOCDIR      := /usr/share/doc/$(PKG_NAME)
INSTALL_DOCS        := README.md docs/directives.md docs/security.md docs/gateway.md \
                       docs/architecture.md docs/packaging.md

.PHONY: install

# Templates by glob: a new page is installed without a change here.
install:
	@test -n "$(INSTALL_MODDIR)" || { echo "install: apxs -q LIBEXECDIR says nothing (is apache2-dev installed?)"; exit 1; }
	@$(MAKE) --no-print-directory all TEMPLATEDIR=$(INSTALL_TEMPLATEDIR)
	install -d $(DESTDIR)$(INSTALL_MODDIR) $(DESTDIR)$(INSTALL_TEMPLATEDIR) \
	  $(DESTDIR)$(INSTALL_CONFDIR) $(DESTDIR)$(INSTALL_APPCONFDIR) $(DESTDIR)$(INSTALL_DOCDIR)
	install -m 644 $(MODULE) $(DESTDIR)$(INSTALL_MODDIR)/mod_sessiondemo.so
	install -m 644 templates/*.html templates/*.css $(DESTDIR)$(INSTALL_TEMPLATEDIR)/
	install -m 644 conf/sessiondemo.load conf/sessiondemo.conf $(DESTDIR)$(INSTALL_CONFDIR)/
	install -m 644 conf/app/sessiondemo.conf $(DESTDIR)$(INSTALL_APPCONFDIR)/
	install -m 644 $(INSTALL_DOCS) $(DESTDIR)$(INSTALL_DOCDIR)/

# --- the Debian package ----------------------------------------------------
# dpkg-buildpackage runs in a copy of the tree (the files git tracks or would
# track), so the build neither cleans nor rebuilds the checkout's module and
# writes nothing outside build/ and dist/ (both git-ignored).
DEB_BUILD_PACKAGES := dpkg-dev debhelper fakeroot build-essential lintian
DEB_VERSION := $(SD_VERSION)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
PKG_BUILD   := build/deb
PKG_DIST    := dist
DEB_FILE    := $(PKG_DIST)/$(PKG_NAME)_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_INPUTS  := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null | grep -v '^\(build\|dist\)/'))
PACKAGE_TIME_LIMIT ?= 240

.PHONY: deb deb-deps test-package

deb-deps: deps
	$(call deb_install,$(DEB_BUILD_PACKAGES))

deb: $(DEB_FILE)
	@echo "deb: $(DEB_FILE)"

# lintian fails the build on any error; its warnings are printed.
$(DEB_FILE): $(DEB_INPUTS) | deb-deps
	rm -rf $(PKG_BUILD) && mkdir -p $(PKG_BUILD)/$(PKG_NAME)-$(DEB_VERSION) $(PKG_DIST)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else \
	  tar --exclude=./.git --exclude=./$(PKG_BUILD) --exclude=./$(PKG_DIST) -cf - .; \
	fi | tar -xf - -C $(PKG_BUILD)/$(PKG_NAME)-$(DEB_VERSION)
	cd $(PKG_BUILD)/$(PKG_NAME)-$(DEB_VERSION) && dpkg-buildpackage -us -uc -b
	rm -f $(PKG_DIST)/$(PKG_NAME)_*.deb
	cp $(PKG_BUILD)/$(PKG_NAME)_$(DEB_VERSION)_$(DEB_ARCH).deb $(DEB_FILE)
	lintian --fail-on error $(DEB_FILE)

# Root only: installs the package and Debian's apache2, starts and stops the
# system's apache2, purges the package, and restores what it changed.
test-package: deb
	@PACKAGE_TIME_LIMIT=$(PACKAGE_TIME_LIMIT) $(TAP_COUNT) test-package tests/package/run.sh
