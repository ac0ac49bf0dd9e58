# Installing, and the Debian package (docs/packaging.md):
#   make install [DESTDIR=dir]  the module, templates, a2enmod files and docs in Debian's layout;
#                               the module is built with the installed template directory as its
#                               default (the next `make` builds it back for the tree)
PKG_NAME            := libapache2-mod-sessiondemo
INSTALL_TEMPLATEDIR := /usr/share/$(PKG_NAME)/templates
INSTALL_MODDIR      := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
INSTALL_CONFDIR     := /etc/apache2/mods-available
INSTALL_DOCDIR      := /usr/share/doc/$(PKG_NAME)
INSTALL_DOCS        := README.md docs/directives.md docs/security.md docs/gateway.md \
                       docs/architecture.md

.PHONY: install

# Templates by glob: a new page is installed without a change here.
install:
	@test -n "$(INSTALL_MODDIR)" || { echo "install: apxs -q LIBEXECDIR says nothing (is apache2-dev installed?)"; exit 1; }
	@$(MAKE) --no-print-directory all TEMPLATEDIR=$(INSTALL_TEMPLATEDIR)
	install -d $(DESTDIR)$(INSTALL_MODDIR) $(DESTDIR)$(INSTALL_TEMPLATEDIR) \
	  $(DESTDIR)$(INSTALL_CONFDIR) $(DESTDIR)$(INSTALL_DOCDIR)
	install -m 644 $(MODULE) $(DESTDIR)$(INSTALL_MODDIR)/mod_sessiondemo.so
	install -m 644 templates/*.html $(DESTDIR)$(INSTALL_TEMPLATEDIR)/
	install -m 644 conf/sessiondemo.load conf/sessiondemo.conf $(DESTDIR)$(INSTALL_CONFDIR)/
	install -m 644 $(INSTALL_DOCS) $(DESTDIR)$(INSTALL_DOCDIR)/
