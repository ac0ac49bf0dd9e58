/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The module record, for units that need ap_get_module_config. */
#ifndef SD_MODULE_H
#define SD_MODULE_H

#include <httpd.h>
#include <http_config.h>

extern module AP_MODULE_DECLARE_DATA sessiondemo_module;

#endif
