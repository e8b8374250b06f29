# SPDX-License-Identifier: GPL-3.0-or-later
# Install rules: where Netdata looks for a plugin, its stock configuration and its alerts.
#
# The defaults are Debian's Netdata package (apt-get install netdata-core). Each directory is a
# cache variable, so Netdata's static install under /opt/netdata (or any other layout) is one
# -D away; DESTDIR works as usual (DESTDIR=/tmp/x cmake --install build).
#
#   VMQ_NETDATA_PLUGINS_DIR        vernemq.plugin          Netdata runs every *.plugin found here
#   VMQ_NETDATA_STOCK_CONFIG_DIR   vernemq.conf            the stock job file the plugin falls back to
#   VMQ_NETDATA_USER_CONFIG_DIR    health.d/vernemq_plugin.conf
#
# Why the alert goes to the *user* health directory, under its own name: Netdata's stock
# health.d/vernemq.conf (in every Netdata install) defines a template with the same name for
# go.d's chart, and the first template of a name that Netdata loads wins. Netdata reads the user
# health directory before the stock one, so a file there wins deterministically (the order of
# files within one directory is readdir's, so a second stock file could not). A user file named
# vernemq.conf would hide the whole stock file and its 25 other VerneMQ alerts; a different name
# keeps them.

set(VMQ_NETDATA_PLUGINS_DIR "/usr/lib/netdata/plugins.d" CACHE PATH
    "Netdata's plugins directory (static install: /opt/netdata/usr/libexec/netdata/plugins.d)")
set(VMQ_NETDATA_STOCK_CONFIG_DIR "/usr/lib/netdata/conf.d" CACHE PATH
    "Netdata's stock configuration directory (static install: /opt/netdata/usr/lib/netdata/conf.d)")
set(VMQ_NETDATA_USER_CONFIG_DIR "/etc/netdata" CACHE PATH
    "Netdata's user configuration directory; the alert goes to its health.d (static install: /opt/netdata/etc/netdata)")
option(VMQ_INSTALL_HEALTH "Install the alert into the user health directory (it replaces an edited copy)" ON)

install(TARGETS vernemq.plugin
        RUNTIME DESTINATION "${VMQ_NETDATA_PLUGINS_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(FILES "${PROJECT_SOURCE_DIR}/conf.d/vernemq.conf"
        DESTINATION "${VMQ_NETDATA_STOCK_CONFIG_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
if(VMQ_INSTALL_HEALTH)
  install(FILES "${PROJECT_SOURCE_DIR}/health.d/vernemq_plugin.conf"
          DESTINATION "${VMQ_NETDATA_USER_CONFIG_DIR}/health.d"
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
